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
  // What the layering allows.
  assert.deepEqual(await restrictedImports('apps/api/src/main.ts', "export * from '@maskgen/queues';\n"), []);
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
