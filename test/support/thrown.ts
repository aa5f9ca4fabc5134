import { expect } from 'vitest';

type ErrorClass<E> = abstract new (...args: never[]) => E;

/**
 * The error `run` throws, after checking that it is an instance of `type`. Fails the test with
 * `otherwise` if `run` returns instead.
 */
export function thrownBy<E>(type: ErrorClass<E>, run: () => unknown, otherwise = 'expected an error, but nothing was thrown'): E {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(otherwise);
}

/** As `thrownBy`, for a `run` that may also reject: the error it throws or rejects with. */
export async function rejectionOf<E>(
  type: ErrorClass<E>,
  run: () => unknown,
  otherwise = 'expected an error, but nothing was thrown',
): Promise<E> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as E;
  }
  throw new Error(otherwise);
}
