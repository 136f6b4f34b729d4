/**
 * The error type for problems the user must fix (bad pipeline files, configs, CLI arguments, a
 * held lock). The CLI prints only the message of a {@link UserError} (no stack) and exits 2.
 *
 * @example
 * ```ts
 * import { UserError } from "./errors.ts";
 * throw new UserError("Cannot read pipelines/demo.yaml:3:5: steps.a.needs: unknown step 'b'");
 * ```
 * @module
 */

/** A problem in the user's input; its message already names the file, place and value. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}
