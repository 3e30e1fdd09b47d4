/**
 * Rendering coercions shared by the kinds' rendered param schemas: what a `{{ }}` template may
 * turn a written string into (an object, a number) and how the worker takes it.
 */
import { z } from 'zod';

/** Text param: a template whose value is not a string (an object, a number) is sent as JSON text. */
export const RenderedText = z.unknown().transform((v) => (typeof v === 'string' ? v : JSON.stringify(v)));

/** A scalar a template may render (header values, query values). */
export const Scalar = z.union([z.string(), z.number(), z.boolean()]);
