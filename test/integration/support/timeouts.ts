// Integration tests talk to real services; their own waits are bounded inside each test.
jest.setTimeout(120_000);
