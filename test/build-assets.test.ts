/**
 * Issue 21: after `npm run build`, `node dist/apps/api/apps/api/src/main.js` answered POST /datasets/builtin
 * with 500 (UcrDatasetNotFoundError): the build did not copy libs/data/datasets, only the Dockerfile did. The
 * build's own asset step (nest-cli.json `assets`, run here with the Nest CLI's AssetsManager as `nest build`
 * runs it) must put the vendored datasets where the compiled libs/data looks for them.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { BUILTIN_UCR_DATASETS, BUILTIN_UCR_DIR, locateUcrFiles } from '@maskgen/data';

const ROOT = path.resolve(__dirname, '..');

interface NestCliConfig {
  projects: Record<string, { compilerOptions?: { tsConfigPath?: string } }>;
}

interface AssetsManagerLike {
  copyAssets(
    configuration: NestCliConfig,
    appName: string,
    outDir: string,
    watchAssetsMode: boolean,
    onSuccess: undefined,
    rootDir: string,
  ): void;
  closeWatchers(): Promise<void>;
}

describe('production build assets', () => {
  for (const app of ['api', 'worker']) {
    test(`nest build ${app} ships the vendored UCR datasets next to the compiled libs/data`, async () => {
      // The CLI resolves asset globs against process.cwd(), as `nest build` run from the repository root does.
      assert.equal(process.cwd(), ROOT);
      const config = JSON.parse(await readFile(path.join(ROOT, 'nest-cli.json'), 'utf8')) as NestCliConfig;
      const tsconfig = JSON.parse(
        await readFile(path.join(ROOT, config.projects[app].compilerOptions?.tsConfigPath ?? ''), 'utf8'),
      ) as { compilerOptions: { rootDir: string } };
      const rootDir = path.resolve(ROOT, `apps/${app}`, tsconfig.compilerOptions.rootDir);
      // The Nest CLI is an ES module; its AssetsManager is what `nest build` runs before compiling.
      const { AssetsManager } = (await import('@nestjs/cli/lib/compiler/assets-manager.js')) as {
        AssetsManager: new () => AssetsManagerLike;
      };
      // Inside the project: the CLI refuses to copy assets outside it.
      await mkdir(path.join(ROOT, 'test-artifacts'), { recursive: true });
      const outDir = await mkdtemp(path.join(ROOT, 'test-artifacts', `build-${app}-`));
      try {
        const manager = new AssetsManager();
        manager.copyAssets(config, app, outDir, false, undefined, rootDir);
        await manager.closeWatchers();
        // tsc keeps the layout under rootDir, so the compiled files.js resolves its ../datasets to this directory.
        const builtDir = path.join(outDir, path.relative(rootDir, BUILTIN_UCR_DIR));
        for (const name of BUILTIN_UCR_DATASETS) {
          assert.ok(locateUcrFiles(path.join(builtDir, name), name), `${name} missing under ${builtDir}`);
        }
      } finally {
        await rm(outDir, { recursive: true, force: true });
      }
    });
  }
});
