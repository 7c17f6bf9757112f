/** docker/Dockerfile as data: stages, their instructions, ARG defaults resolved. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser, ModifiableInstruction } from 'dockerfile-ast';
import { ROOT } from './files';

export interface Instruction {
  keyword: string;
  /** Arguments as written, flags (--mount, --from, --chown) removed. */
  args: string[];
  /** Flags by name, e.g. `from` for `COPY --from=build`. */
  flags: Record<string, string | null>;
  line: number;
  /** The instruction's raw text, for exec-form checks. */
  raw: string;
}

export interface Stage {
  name: string | undefined;
  /** The image or stage it starts from, with ARG defaults substituted. */
  from: string;
  instructions: Instruction[];
}

export const DOCKERFILE = path.join(ROOT, 'docker/Dockerfile');

export function readDockerfile(file = DOCKERFILE): string {
  return readFileSync(file, 'utf8');
}

export function parseDockerfile(content: string): { args: Record<string, string>; stages: Stage[] } {
  const dockerfile = DockerfileParser.parse(content);
  const args: Record<string, string> = {};
  // ARGs before the first FROM are the global ones FROM lines may use.
  const firstFrom = dockerfile.getFROMs()[0]?.getRange().start.line ?? Number.MAX_SAFE_INTEGER;
  for (const arg of dockerfile.getARGs()) {
    const property = arg.getProperty();
    if (arg.getRange().start.line < firstFrom && property)
      args[property.getName()] = property.getValue() ?? '';
  }
  const substitute = (text: string) =>
    text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => args[a ?? b] ?? '');

  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    const flags: Record<string, string | null> = {};
    if (instruction instanceof ModifiableInstruction) {
      for (const flag of instruction.getFlags()) flags[flag.getName()] = flag.getValue();
    }
    const parsed: Instruction = {
      keyword,
      args: instruction.getArguments().map((a) => a.getValue()),
      flags,
      line: instruction.getRange().start.line + 1,
      raw: instruction.getTextContent(),
    };
    if (keyword === 'FROM') {
      const [image, as, name] = parsed.args;
      stages.push({
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        from: substitute(image),
        instructions: [],
      });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(parsed);
    }
  }
  return { args, stages };
}

/** The instructions a target stage ends up with, following FROM <stage> chains (last one wins for CMD etc.). */
export function effectiveInstructions(stages: Stage[], target: string): Instruction[] {
  const stage = stages.find((s) => s.name === target);
  if (!stage) throw new Error(`no stage ${target}`);
  const parent = stages.find((s) => s.name === stage.from);
  return [...(parent ? effectiveInstructions(stages, parent.name as string) : []), ...stage.instructions];
}

/** The external image a stage is built on, following stage references. */
export function baseImage(stages: Stage[], target: string): string {
  const stage = stages.find((s) => s.name === target);
  if (!stage) throw new Error(`no stage ${target}`);
  return stages.some((s) => s.name === stage.from) ? baseImage(stages, stage.from) : stage.from;
}

/** `ENV A=1 B=2` pairs of a list of instructions. */
export function envOf(instructions: Instruction[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const instruction of instructions.filter((i) => i.keyword === 'ENV')) {
    for (const pair of instruction.args) {
      const eq = pair.indexOf('=');
      if (eq < 1) throw new Error(`line ${instruction.line}: use ENV NAME=value`);
      env.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  return env;
}
