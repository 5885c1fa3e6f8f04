/**
 * A call bounded by our own timer and the run's signal: it ends on time even when the call never
 * settles and ignores its signal (as a request does whose abort link was garbage-collected).
 */
import { RequestTimeoutError, withTimeLimit } from "../../runtime/time-limit";
import { classifyError } from "../../runtime/retry";

const never = () => new Promise<never>(() => {});

test("a call that never settles and ignores its signal is given up after the time limit", async () => {
  let seen: AbortSignal | undefined;
  const started = Date.now();
  const result = withTimeLimit((signal) => ((seen = signal), never()), { timeoutMs: 50 });
  await expect(result).rejects.toBeInstanceOf(RequestTimeoutError);
  expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  expect(seen?.aborted).toBe(true);
});

test("a timed-out call is retryable, like fetch's own timeout", async () => {
  const e = await withTimeLimit(never, { timeoutMs: 1 }).catch((x: unknown) => x);
  expect((e as Error).message).toBe("no answer within 1 ms");
  expect(classifyError(e)).toBe("retryable");
});

test("the outer signal ends the call with its reason, before the time limit", async () => {
  const outer = new AbortController();
  let seen: AbortSignal | undefined;
  const result = withTimeLimit((signal) => ((seen = signal), never()), {
    timeoutMs: 60_000,
    signal: outer.signal,
  });
  const reason = new Error("the deadline passed");
  outer.abort(reason);
  await expect(result).rejects.toBe(reason);
  expect(seen?.aborted).toBe(true);
});

test("an outer signal already aborted ends the call before it starts", async () => {
  const call = jest.fn(never);
  await expect(
    withTimeLimit(call, { timeoutMs: 1000, signal: AbortSignal.abort(new Error("late")) }),
  ).rejects.toThrow("late");
  expect(call).not.toHaveBeenCalled();
});

test("a call that answers in time gives its value, and its listener and timer are gone", async () => {
  const outer = new AbortController();
  const remove = jest.spyOn(outer.signal, "removeEventListener");
  let seen: AbortSignal | undefined;
  await expect(
    withTimeLimit(async (signal) => ((seen = signal), 42), { timeoutMs: 1000, signal: outer.signal }),
  ).resolves.toBe(42);
  expect(remove).toHaveBeenCalledWith("abort", expect.any(Function));
  expect(seen?.aborted).toBe(false);
});

test("a call that throws at once rejects with its error", async () => {
  const boom = new Error("boom");
  await expect(
    withTimeLimit(
      () => {
        throw boom;
      },
      { timeoutMs: 1000 },
    ),
  ).rejects.toBe(boom);
});
