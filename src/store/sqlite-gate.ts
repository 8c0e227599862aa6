/**
 * SQLite has one connection, shared by Kysely and by the raw statements of the queue, the
 * writer and the apps. Kysely's driver guards it with a mutex that only an `await` can
 * pass; this gate takes that mutex's place, so a raw synchronous step runs at once when
 * Kysely does not hold the connection (the usual case) instead of going through
 * `db.connection()` and its promises for every step. While Kysely holds it (an open
 * transaction spans awaits), steps wait their turn as before.
 */
import { SqliteDialect, type DatabaseConnection, type Driver, type SqliteDialectConfig, type TransactionSettings } from 'kysely';

export class ConnectionGate {
  private held = false;
  private readonly waiting: Array<() => void> = [];

  /** Resolves once the connection is ours (undefined: it was free and is ours already). */
  take(): Promise<void> | undefined {
    if (!this.held) {
      this.held = true;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  give() {
    const next = this.waiting.shift();
    if (next) next();
    else this.held = false;
  }

  /** Holds the connection across awaits until the returned function is called. */
  async hold(): Promise<() => void> {
    await this.take();
    return () => this.give();
  }

  /** Runs a synchronous `fn` holding the connection: at once if it is free. */
  lend<T>(fn: () => T): Promise<T> {
    const run = () => {
      try {
        return fn();
      } finally {
        this.give();
      }
    };
    const wait = this.take();
    if (wait) return wait.then(run);
    try {
      return Promise.resolve(run());
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/** Kysely's SQLite driver with its connection taken through `gate`. */
class GatedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly gate: ConnectionGate,
  ) {}
  init() {
    return this.inner.init();
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    await this.gate.take();
    try {
      return await this.inner.acquireConnection();
    } catch (err) {
      this.gate.give();
      throw err;
    }
  }
  async releaseConnection(connection: DatabaseConnection) {
    try {
      await this.inner.releaseConnection(connection);
    } finally {
      this.gate.give();
    }
  }
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    return this.inner.beginTransaction(connection, settings);
  }
  commitTransaction(connection: DatabaseConnection) {
    return this.inner.commitTransaction(connection);
  }
  rollbackTransaction(connection: DatabaseConnection) {
    return this.inner.rollbackTransaction(connection);
  }
  savepoint(...a: Parameters<NonNullable<Driver['savepoint']>>) {
    return this.inner.savepoint!(...a);
  }
  rollbackToSavepoint(...a: Parameters<NonNullable<Driver['rollbackToSavepoint']>>) {
    return this.inner.rollbackToSavepoint!(...a);
  }
  releaseSavepoint(...a: Parameters<NonNullable<Driver['releaseSavepoint']>>) {
    return this.inner.releaseSavepoint!(...a);
  }
  destroy() {
    return this.inner.destroy();
  }
}

export class GatedSqliteDialect extends SqliteDialect {
  constructor(
    config: SqliteDialectConfig,
    private readonly gate: ConnectionGate,
  ) {
    super(config);
  }
  override createDriver(): Driver {
    return new GatedDriver(super.createDriver(), this.gate);
  }
}
