/**
 * A pack's process started ahead of its connection (`audit` starts it before loading the rest of the
 * CLI): nothing it says in the meantime is lost, a failure waits for the connection to be reported,
 * and a process nobody connects to is ended.
 */
import path from "node:path";
import { AnalyzerHost, InputError } from "../../engine";
import { startPackProcess } from "../../engine/pack-process";

const foreignPack = path.join(__dirname, "fixtures/foreign-pack");
const crashingPack = path.join(__dirname, "fixtures/crashing-pack");
const exited = (p: ReturnType<typeof startPackProcess>) =>
  new Promise<void>((r) =>
    p.child.exitCode !== null || p.child.signalCode !== null ? r() : p.child.once("exit", () => r()),
  );

it("a pack that has long reported its port is connected to late, as if just started", async () => {
  const pack = startPackProcess(foreignPack);
  await pack.port; // the port line came and went before anyone connected
  await new Promise((r) => setTimeout(r, 200));
  const host = await AnalyzerHost.start(foreignPack, { process: pack });
  try {
    expect(host.info).toMatchObject({ name: "acme-tagging", version: "2.3.4" });
    pack.abandon(); // adopted by the host: abandoning is a no-op
    expect(pack.child.exitCode).toBeNull();
  } finally {
    await host.stop();
  }
});

it("a pack that died before anyone connected is reported, in one line without the key, on connecting", async () => {
  const pack = startPackProcess(crashingPack, { env: { CRASH_MODE: "throw" } });
  await exited(pack); // died while nobody waited: no unhandled rejection, the reason is kept
  const e = await AnalyzerHost.start(crashingPack, { process: pack }).then(
    () => undefined,
    (err: Error) => err,
  );
  expect(e).toBeInstanceOf(InputError);
  expect(e!.message).toMatch(
    /crashing-pack: policy pack exited \(\d+\) before serving: Error: cannot load policies/,
  );
  expect(e!.message).not.toContain("0123456789abcdef0123456789abcdef01234567");
});

it("abandon ends a process nobody connected to (bad input after the early start)", async () => {
  const pack = startPackProcess(crashingPack, { env: { CRASH_MODE: "silent" } });
  pack.abandon();
  await exited(pack);
  expect(pack.child.signalCode).toBe("SIGKILL");
});

it("a folder that is no pack is an InputError at once, before any process starts", () => {
  expect(() => startPackProcess(__dirname)).toThrow(InputError);
});

it("a connection for another folder than the process's is refused", async () => {
  const pack = startPackProcess(crashingPack, { env: { CRASH_MODE: "silent" } });
  try {
    await expect(AnalyzerHost.start(foreignPack, { process: pack })).rejects.toThrow(
      /started for .*crashing-pack/,
    );
  } finally {
    pack.abandon();
    await exited(pack);
  }
});
