// Ctrl-C for the demo, at any point. Whatever the demo starts is registered here as it starts; the
// first SIGINT or SIGTERM undoes all of it once, newest first, and exits 130 (143 for SIGTERM). A
// repeated Ctrl-C while that runs is answered, not obeyed: dying then would leave the detached
// Cassandra and LocalStack running. Without a listener, tsx ends the process on SIGINT at once.
import { constants } from 'node:os';

type Undo = () => unknown;

export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  removeListener(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface InterruptOptions {
  say: (text: string) => void;
  exit: (code: number) => void;
  /** process, or a fake in tests. */
  signals?: SignalSource;
  /** Date.now, or a fake clock in tests. */
  now?: () => number;
}

export class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

export interface Interrupts {
  /** Registers what undoes a step; undone newest first. Registered while stopping: undone too. */
  add(undo: Undo): void;
  /** Undoes everything registered, once; every call gets the same promise. */
  stop(): Promise<void>;
  /** The next signal, taken as the expected way to stop (the demo's "until Ctrl-C"), not an interrupt. */
  nextSignal(): Promise<NodeJS.Signals>;
  /** Throws Interrupted once a signal interrupted the work: no new step starts after Ctrl-C. */
  throwIfInterrupted(): void;
  readonly interrupted: NodeJS.Signals | undefined;
  /** 128 + the signal's number once interrupted. */
  readonly exitCode: number | undefined;
  /** Removes the signal listeners. */
  dispose(): void;
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
/**
 * One Ctrl-C can arrive twice: the terminal signals the whole process group, and tsx relays it to its
 * child again when the child's acknowledgement is slow (a loaded machine). A repeat this soon is that.
 */
const ECHO_MS = 500;

export function handleInterrupts(opts: InterruptOptions): Interrupts {
  const signals = opts.signals ?? process;
  const now = opts.now ?? Date.now;
  let lastSignalAt = Number.NEGATIVE_INFINITY;
  const undos: Undo[] = [];
  let stopping: Promise<void> | undefined;
  let interrupted: NodeJS.Signals | undefined;
  let waiter: ((signal: NodeJS.Signals) => void) | undefined;

  let drained = false;
  const drain = async () => {
    drained = false;
    // Popped one by one, not a copy iterated: an undo registered while stopping (a start that was
    // under way when the signal came) is picked up too.
    for (let undo = undos.pop(); undo; undo = undos.pop()) {
      try {
        await undo();
      } catch (err: unknown) {
        opts.say(`could not stop cleanly: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    drained = true;
  };
  const stop = (): Promise<void> => {
    stopping ??= drain();
    return stopping;
  };

  const exitCode = (signal: NodeJS.Signals) => 128 + (constants.signals[signal] ?? 2);

  const onSignal = (signal: NodeJS.Signals) => {
    const echo = now() - lastSignalAt < ECHO_MS;
    lastSignalAt = now();
    if (echo) return;
    if (stopping) {
      opts.say(
        `${signal} again: still stopping what the demo started, please wait ` +
          '(ending now would leave those services running)',
      );
      return;
    }
    if (waiter) {
      const resolve = waiter;
      waiter = undefined;
      resolve(signal);
      return;
    }
    interrupted = signal;
    opts.say(`${signal}: interrupted; stopping what the demo started`);
    void stop().then(() => opts.exit(exitCode(signal)));
  };
  for (const signal of SIGNALS) signals.on(signal, onSignal);

  return {
    add(undo) {
      undos.push(undo);
      // Registered after everything was undone: undo it right away.
      if (stopping && drained) stopping = stopping.then(drain);
    },
    stop,
    nextSignal() {
      return new Promise((resolve) => {
        waiter = resolve;
      });
    },
    throwIfInterrupted() {
      if (interrupted) throw new Interrupted(interrupted);
    },
    get interrupted() {
      return interrupted;
    },
    get exitCode() {
      return interrupted ? exitCode(interrupted) : undefined;
    },
    dispose() {
      for (const signal of SIGNALS) signals.removeListener(signal, onSignal);
    },
  };
}
