import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..');

/** Lints `code` as if it were the file at `file` (an existing file, so the type-aware config resolves it). */
async function restrictedImports(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test('the layering is enforced by ESLint: libs never import apps, contracts import nothing of ours, apps not each other', async () => {
  assert.match(
    (
      await restrictedImports(
        'libs/pipeline/src/index.ts',
        "export * from '../../../apps/worker/src/main';\n",
      )
    )[0] ?? '',
    /libs never import apps/,
  );
  assert.match(
    (await restrictedImports('libs/contracts/src/index.ts', "export * from '@maskgen/persistence';\n"))[0] ??
      '',
    /imports nothing of ours/,
  );
  assert.match(
    (
      await restrictedImports('apps/api/src/main.ts', "export * from '../../worker/src/worker.module';\n")
    )[0] ?? '',
    /never another app/,
  );
  assert.match(
    (await restrictedImports('apps/worker/src/main.ts', "export * from '../../api/src/api.module';\n"))[0] ??
      '',
    /never another app/,
  );
  for (const [file, code] of [
    ['apps/api/src/main.ts', "export * from '../../local/src/local-api-key';\n"],
    ['apps/worker/src/main.ts', "export * from '../../local/src/local-api-key';\n"],
    ['apps/cli/src/main.ts', "export * from '../../api/src/api.module';\n"],
    ['apps/cli/src/main.ts', "export * from '../../dashboard/src/format';\n"],
    ['apps/dashboard/src/main.tsx', "export * from '../../cli/src/output';\n"],
    ['apps/dashboard/src/main.tsx', "export * from '../../worker/src/main';\n"],
    ['apps/local/src/main.ts', "export * from '../../cli/src/output';\n"],
    ['apps/local/src/main.ts', "export * from '../../dashboard/src/format';\n"],
  ]) {
    assert.match((await restrictedImports(file, code))[0] ?? '', /never another app/, `${file}: ${code}`);
  }
  // The CLI and the dashboard reach the API through libs/client only.
  for (const [file, code] of [
    ['apps/cli/src/main.ts', "export * from '@maskgen/contracts';\n"],
    ['apps/dashboard/src/main.tsx', "export * from '@maskgen/contracts';\n"],
    ['apps/dashboard/src/main.tsx', "export * from '../../../libs/config/src';\n"],
  ]) {
    assert.match((await restrictedImports(file, code))[0] ?? '', /libs\/client only/, `${file}: ${code}`);
  }
  // Migrations live with persistence; the root migrations/ only re-exports them.
  assert.match(
    (
      await restrictedImports(
        'libs/persistence/src/data-source.ts',
        "export { MIGRATIONS } from '../../../migrations';\n",
      )
    )[0] ?? '',
    /libs never import the root migrations/,
  );
  // What the layering allows: apps/local composes the API; the CLI and the dashboard use libs/client.
  assert.deepEqual(await restrictedImports('apps/api/src/main.ts', "export * from '@maskgen/queues';\n"), []);
  assert.deepEqual(
    await restrictedImports('apps/local/src/main.ts', "export * from '../../api/src/api.module';\n"),
    [],
  );
  assert.deepEqual(await restrictedImports('apps/cli/src/main.ts', "export * from '@maskgen/client';\n"), []);
  assert.deepEqual(
    await restrictedImports('apps/dashboard/src/main.tsx', "export * from '@maskgen/client';\n"),
    [],
  );
  assert.deepEqual(
    await restrictedImports('libs/pipeline/src/index.ts', "export * from '@maskgen/model';\n"),
    [],
  );
  assert.deepEqual(
    await restrictedImports(
      'libs/persistence/src/data-source.ts',
      "export { MIGRATIONS } from './migrations';\n",
    ),
    [],
  );
});
