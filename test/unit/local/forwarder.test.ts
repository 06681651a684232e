import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { createLogger } from '../../../lib/log';
import { type ForwarderOptions, startForwarder } from '../../../scripts/local/forwarder';

const transient = (name: string) => Object.assign(new Error(`${name} (LocalStack)`), { name });

/** An in-memory queue whose calls fail as scripted: `failures[command]` errors are thrown first. */
function fakeQueue(bodies: string[], failures: { receive?: number; delete?: number }) {
  const waiting: Message[] = bodies.map((body, i) => ({
    MessageId: `m${i}`,
    ReceiptHandle: `r${i}`,
    Body: body,
  }));
  const deleted: string[] = [];
  let receiveFailures = failures.receive ?? 0;
  let deleteFailures = failures.delete ?? 0;
  const send = async (command: unknown) => {
    await new Promise((r) => setTimeout(r, 2));
    if (command instanceof ReceiveMessageCommand) {
      if (receiveFailures-- > 0) throw transient('ServiceUnavailable');
      const message = waiting.shift();
      return { Messages: message ? [message] : [] };
    }
    if (command instanceof DeleteMessageCommand) {
      if (deleteFailures-- > 0) throw transient('InternalError');
      deleted.push(command.input.ReceiptHandle ?? '');
      return {};
    }
    if (command instanceof ChangeMessageVisibilityCommand) return {};
    throw new Error('unexpected command');
  };
  return { sqs: { send } as unknown as SQSClient, deleted };
}

function fakeLambda() {
  const invoked: string[] = [];
  const send = async (command: unknown) => {
    if (!(command instanceof InvokeCommand)) throw new Error('unexpected command');
    const event = JSON.parse(Buffer.from(command.input.Payload as Uint8Array).toString('utf8'));
    invoked.push(...event.Records.map((r: { body: string }) => r.body));
    return { StatusCode: 200, Payload: Buffer.from(JSON.stringify({ batchItemFailures: [] })) };
  };
  return { lambda: { send } as unknown as LambdaClient, invoked };
}

async function until(check: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/** A one-worker forwarder over the fakes; what a test does not give is the plain default. */
function forward(opts: Pick<ForwarderOptions, 'sqs' | 'lambda' | 'log'> & Partial<ForwarderOptions>) {
  return startForwarder({
    queueUrl: 'http://queue',
    queueArn: 'arn:aws:sqs:us-east-1:000000000000:q',
    functionName: 'ingest',
    concurrency: 1,
    ...opts,
  });
}

describe('startForwarder', () => {
  it('keeps forwarding after failed deletes and polls, logging each failure', async () => {
    const { sqs, deleted } = fakeQueue(['a', 'b', 'c'], { receive: 2, delete: 1 });
    const { lambda, invoked } = fakeLambda();
    const lines: string[] = [];
    // One worker: before, the first failed delete ended it and nothing else was ever forwarded.
    const forwarder = forward({
      sqs,
      lambda,
      log: createLogger('warn', {}, (line) => lines.push(line)),
      sleep: () => Promise.resolve(),
    });
    try {
      await until(() => deleted.length === 2);
    } finally {
      await forwarder.stop();
    }
    expect(invoked).toEqual(['a', 'b', 'c']);
    // a's delete failed (it comes back after the visibility timeout); b and c were deleted.
    expect(deleted).toEqual(['r1', 'r2']);
    expect(forwarder.stats).toMatchObject({ invocations: 3, succeeded: 3, failed: 0 });
    const warnings = lines.map((l) => JSON.parse(l));
    expect(warnings).toHaveLength(3);
    expect(warnings.map((w) => w.err.name).sort()).toEqual([
      'InternalError',
      'ServiceUnavailable',
      'ServiceUnavailable',
    ]);
  });

  it('stops while backing off, without waiting for the backoff to end', async () => {
    const { sqs } = fakeQueue([], { receive: 1_000_000 });
    const { lambda } = fakeLambda();
    const backoffs: number[] = [];
    let backingOff: () => void = () => undefined;
    const inBackoff = new Promise<void>((resolve) => {
      backingOff = resolve;
    });
    const forwarder = forward({
      sqs,
      lambda,
      log: createLogger('error', {}, () => undefined),
      // A backoff that never ends by itself: only stop() can end the wait.
      sleep: (ms) => {
        backoffs.push(ms);
        backingOff();
        return new Promise(() => undefined);
      },
    });
    await inBackoff;
    await forwarder.stop();
    expect(backoffs).toEqual([250]);
  });
});
