/**
 * The CLI's "what next" for errors that have one: a saved pipeline that is not there, a name
 * already taken, a target that is neither a file nor a saved pipeline. Each error keeps its class
 * and gains a sentence naming the command to try.
 */
import { AlreadyExistsError, NotFoundError } from '../client';

const NEXT_FOR_MISSING =
  'List the saved pipelines with `tpipe pipelines list`, or save one with `tpipe pipelines create <file>`.';

/** `err` with `hint` appended to its message, same class, the original as cause. */
function hinted(err: NotFoundError | AlreadyExistsError, hint: string): Error {
  const Class = err instanceof NotFoundError ? NotFoundError : AlreadyExistsError;
  return new Class(`${err.message}. ${hint}`, { cause: err });
}

/** Awaits `work`; a saved pipeline that is not there gains the commands to list or create one. */
export async function savedPipelineOrHint<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof NotFoundError && err.message.startsWith('No saved pipeline named')) {
      throw hinted(err, NEXT_FOR_MISSING);
    }
    throw err;
  }
}

/** Awaits `work` (a `pipelines create`); a name already taken gains the `update` command. */
export async function newPipelineOrHint<T>(work: Promise<T>, name: string, file: string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof AlreadyExistsError) {
      throw hinted(err, `To save ${file} as its next version: \`tpipe pipelines update ${name} ${file}\``);
    }
    throw err;
  }
}

/**
 * Awaits `work` (a lookup of `target` as a saved pipeline after no file was found); when there is
 * no such pipeline either, says it looked for both.
 */
export async function fileOrSavedOrHint<T>(work: Promise<T>, target: string, namespace: string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof NotFoundError && err.message.startsWith('No saved pipeline named')) {
      throw new NotFoundError(
        `No file ${target} and no saved pipeline named ${target} in namespace ${namespace}. ` +
          `Give the path of a pipeline file (.yaml or .json), or ${NEXT_FOR_MISSING[0]!.toLowerCase()}${NEXT_FOR_MISSING.slice(1)}`,
        { cause: err },
      );
    }
    throw err;
  }
}
