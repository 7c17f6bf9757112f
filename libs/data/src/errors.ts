/** Where in an input a parse problem was found. Line and field are 1-based. */
export interface ParseLocation {
  /** File name or upload name the text came from. */
  source: string;
  line?: number;
  /** 1-based column in the line: in `.tsv` the label is field 1; in `.ts` the label is the last field. */
  field?: number;
}

/**
 * The only error the UCR parsers throw for bad input. The message starts with
 * `<source> line <n>, field <k>:` so a user can find the problem in their file.
 */
export class DatasetParseError extends Error {
  override readonly name = 'DatasetParseError';
  readonly source: string;
  readonly line: number | undefined;
  readonly field: number | undefined;
  readonly reason: string;

  constructor(location: ParseLocation, reason: string) {
    super(`${formatLocation(location)}: ${reason}`);
    this.source = location.source;
    this.line = location.line;
    this.field = location.field;
    this.reason = reason;
  }
}

function formatLocation({ source, line, field }: ParseLocation): string {
  let text = source;
  if (line !== undefined) text += ` line ${line}`;
  if (field !== undefined) text += `${line !== undefined ? ',' : ''} field ${field}`;
  return text;
}
