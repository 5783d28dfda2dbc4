/**
 * The failure converter of every worker and client: Temporal stores a failed activity's message
 * and stack trace in the histories of the build and its children, and the CLI prints them, so
 * before a failure leaves the process every quoted string (where Node and our code put paths,
 * keys and values: `ENAMETOOLONG: name too long, scandir '/drops/vienna/<patient name>/...'`),
 * every absolute path and every s3:// URL in its message, and in its stack trace's message
 * lines, is replaced by `<redacted>`. Code locations (`at fn (file:line)`) are kept. With
 * MILK_PAYLOAD_KEY set, messages and stack traces also travel as an encrypted payload
 * (`encodeCommonAttributes`), readable only by processes with the key.
 */
import { DefaultFailureConverter, type PayloadConverter, type ProtoFailure } from '@temporalio/common';
import { PAYLOAD_KEY_ENV } from './payload-codec.ts';

const REDACTED = '<redacted>';

/**
 * Quoted strings, s3:// URLs and absolute paths (POSIX, home, Windows drive or UNC). An unquoted path
 * runs to the end of its clause (a ': ', ';', a bracket, a quote or the line's end), spaces and commas
 * and all: a folder may be a patient's name ('Doe, Jane'), and a space or comma in it says nothing
 * about where the path ends, so the words after a path go with it rather than half a name staying behind.
 */
const SOURCE_VALUES = [
  /'[^'\n]*'|"[^"\n]*"|`[^`\n]*`/g,
  /\bs3:\/\/\S+/g,
  /(?<![\w.:/-])(?:~|[A-Za-z]:)?[\\/]{1,2}[^\s\\/'"`()][^'"`()\n;]*?(?=:\s|:$|[;'"`()\n]|$)/gm,
];

/** A failure message with its source values replaced. */
export function redactFailureText(text: string): string {
  return SOURCE_VALUES.reduce((t, pattern) => t.replace(pattern, REDACTED), text);
}

/** Message lines redacted, `at ...` frames kept: they name our code, never the data. */
function redactStack(stack: string): string {
  return stack
    .split('\n')
    .map((line) => (/^\s+at /.test(line) ? line : redactFailureText(line)))
    .join('\n');
}

/** Redacts an error and its chain of causes in place: message and the message lines of each stack trace. */
export function redactError(err: unknown): void {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 20; e = e.cause, depth++) {
    e.message = redactFailureText(e.message);
    if (e.stack) e.stack = redactStack(e.stack);
  }
}

export class RedactingFailureConverter extends DefaultFailureConverter {
  override errorToFailure(err: unknown, payloadConverter: PayloadConverter): ProtoFailure {
    // Redact the error chain before the default conversion, so encoded attributes are redacted too.
    redactError(err);
    const failure = super.errorToFailure(err, payloadConverter);
    for (let f: ProtoFailure | null | undefined = failure; f; f = f.cause) {
      if (f.message) f.message = redactFailureText(f.message);
      if (f.stackTrace) f.stackTrace = redactStack(f.stackTrace);
    }
    return failure;
  }
}

/** Loaded by path (`failureConverterPath`) in workers and clients. */
export const failureConverter = new RedactingFailureConverter({ encodeCommonAttributes: Boolean(process.env[PAYLOAD_KEY_ENV]?.trim()) });
