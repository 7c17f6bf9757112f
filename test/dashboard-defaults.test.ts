/**
 * The dashboard's forms start from the API's defaults, not their own: the models form's profile is the
 * API's default (DEFAULT_TRAINING_PROFILE, which POST /models applies and the OpenAPI document states),
 * and no dataset is picked for the user (the API has no default dataset). Chromium through playwright-core.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_TRAINING_PROFILE } from '@maskgen/contracts';
import { startDashboard, withoutChromium, type DashboardSession } from './support/browser';

describe('dashboard defaults follow the API', { skip: withoutChromium }, () => {
  let session: DashboardSession;

  before(async () => {
    session = await startDashboard('dashboard-defaults');
    await session.api('POST', '/datasets/builtin', { dataset: 'ItalyPowerDemand' });
    await session.api('POST', '/datasets/builtin', { dataset: 'CBF' });
    await session.signIn();
  });

  after(async () => {
    await session?.close();
  });

  test("the models form starts at the API's default profile and with no dataset chosen", async () => {
    type Schema = { properties: Record<string, { default?: unknown }> };
    const spec = (await (await fetch(`${session.server.base}/docs/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: Schema }> } }>>;
    };
    const body = spec.paths['/models'].post.requestBody.content['application/json'].schema;
    const apiDefault = body.properties.profile?.default;
    assert.equal(apiDefault, DEFAULT_TRAINING_PROFILE);

    const { page } = session;
    await page.goto(`${session.server.base}/#/models`);
    const profile = page.getByLabel('Profile');
    await profile.waitFor();
    assert.equal(await profile.inputValue(), apiDefault);
    const dataset = page.getByLabel('Dataset');
    await page.locator('#train-dataset option', { hasText: 'CBF' }).waitFor({ state: 'attached' });
    assert.equal(await dataset.inputValue(), '');
    const start = page.getByRole('button', { name: 'Start training' });
    assert.equal(await start.isDisabled(), true);

    await dataset.selectOption({ label: 'CBF' });
    assert.equal(await start.isDisabled(), false);
    await session.screenshot('defaults-models-form');
  });
});
