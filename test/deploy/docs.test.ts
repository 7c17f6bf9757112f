/** docs/operations.md stays in step with the repository: its links, anchors and file paths resolve. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from './support/files';

const DOC = path.join(ROOT, 'docs/operations.md');
const text = readFileSync(DOC, 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

describe('docs/operations.md', () => {
  const anchors = new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1])));

  test('in-page links point at headings', () => {
    const links = [...text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    assert.ok(links.length > 5);
    for (const link of links) assert.ok(anchors.has(link), `#${link} is not a heading`);
  });

  test('repository paths it names exist', () => {
    const paths = [...text.matchAll(/`((?:k8s|docker|test\/deploy|libs|apps|bench)\/[\w./-]+)`/g)].map(
      (m) => m[1],
    );
    assert.ok(paths.length > 5);
    for (const file of paths) assert.ok(existsSync(path.join(ROOT, file)), `${file} does not exist`);
  });

  test('the benchmark numbers it quotes are those of bench/results/latest.json', (t) => {
    const bench = JSON.parse(readFileSync(path.join(ROOT, 'bench/results/latest.json'), 'utf8')) as {
      gitCommit: string;
      results: { suite: string; backend: string; case: string; value: number }[];
    };
    const cited = /latest\.json`[^.]*?commit ([0-9a-f]{7,40})/s.exec(text)?.[1];
    assert.ok(cited, 'the document does not say which benchmark run it quotes');
    if (!bench.gitCommit.startsWith(cited)) {
      // A new benchmark run is not a test failure; the document is merely due for an update.
      t.skip(`benchmarks were re-run (${bench.gitCommit}); docs/operations.md quotes ${cited}`);
      return;
    }
    const value = (suite: string, backend: string, name: string) =>
      bench.results.find((r) => r.suite === suite && r.backend === backend && r.case === name)?.value;
    const quoted: [string, string, string, string][] = [
      ['matmul', 'wasm', 'n=512', '17.4 GFLOP/s'],
      ['matmul', 'wasm', 'n=1024', '22.0 GFLOP/s'],
      ['matmul', 'cpu', 'n=512', '0.370 GFLOP/s'],
      ['stft', 'wasm', '[32,1024] stft+istft+grad', '3,726 series/s'],
      ['stft', 'cpu', '[32,1024] stft+istft+grad', '269 series/s'],
      ['stft', 'wasm', '[256,128] stft+istft+grad', '29,876 series/s'],
      ['stft', 'cpu', '[256,128] stft+istft+grad', '1,511 series/s'],
    ];
    for (const [suite, backend, name, shown] of quoted) {
      assert.ok(text.includes(shown), `the document no longer quotes ${shown}`);
      const measured = value(suite, backend, name);
      assert.ok(measured !== undefined, `${suite} ${backend} ${name} is not in latest.json`);
      const number = Number(shown.split(' ')[0].replace(/,/g, ''));
      assert.ok(Math.abs(number - measured) / measured < 0.005, `${shown} vs measured ${measured}`);
    }
  });
});
