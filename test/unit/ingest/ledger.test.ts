import { describeLedgerContract } from '../../support/ledger-contract';
import { MemoryLedgerStore } from '../../support/memory-ledger';

describeLedgerContract('in memory', () => ({ store: new MemoryLedgerStore() }));
