using System.Data.Common;
using Conveyor.Storage;
using Xunit;

namespace Conveyor.Conformance;

/// <summary>Makes stores of one kind for the suites: each store's test project implements this once.</summary>
public interface IStoreFactory : IAsyncDisposable
{
    /// <summary>Why this store cannot be tested on this machine (its server is missing), or null. Never set under CI.</summary>
    static abstract string? SkipReason { get; }

    /// <summary>A fresh, empty store of this kind (its own file, schema or database).</summary>
    Task<IConveyorStore> CreateStoreAsync();

    /// <summary>A second store instance on the same database (another process's view).</summary>
    Task<IConveyorStore> OpenAgainAsync();

    /// <summary>An open transaction of the application's own on the same database, for transactional enqueue.</summary>
    Task<DbTransaction> BeginApplicationTransactionAsync();
}

/// <summary>
/// What every role's suite shares: a fresh migrated store per test, and helpers. Times are passed explicitly
/// (the parameters' Now), so the tests never wait on a clock and never depend on which clock the store uses.
/// </summary>
public abstract class StoreConformance<TFactory> : IAsyncLifetime where TFactory : IStoreFactory, new()
{
    protected static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private IConveyorStore? _store;

    public static string? SkipReason => TFactory.SkipReason;

    protected TFactory Factory { get; } = new();

    protected IConveyorStore Store => _store ?? throw new InvalidOperationException("Store not created.");

    public async Task InitializeAsync()
    {
        _store = await Factory.CreateStoreAsync();
        await _store.MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
            await _store.DisposeAsync();
        await Factory.DisposeAsync();
    }

    protected static JobInsertRow Row(string kind = "test.kind", string queue = "default", string args = "{}", int priority = 0,
        int maxAttempts = 3, DateTimeOffset? runAt = null, string? uniqueKey = null, string? batchId = null) =>
        new(kind, queue, args, priority, maxAttempts, runAt ?? T0, uniqueKey, null, batchId, ["t1"], null);

    protected async Task<long> InsertAsync(JobInsertRow row, DateTimeOffset? now = null) =>
        (await Store.JobInsertManyAsync(new JobInsertManyParams([row], now ?? T0), default))[0].Id;

    protected async Task<List<long>> InsertManyAsync(int count, string queue = "default") =>
        [.. (await Store.JobInsertManyAsync(new JobInsertManyParams([.. Enumerable.Range(0, count).Select(_ => Row(queue: queue))], T0), default)).Select(r => r.Id)];

    protected Task<IReadOnlyList<ClaimedJob>> ClaimAsync(int max = 10, string worker = "w1", DateTimeOffset? now = null, params string[] queues) =>
        Store.JobClaimAsync(new JobClaimParams(worker, queues.Length == 0 ? ["default"] : queues, max, Lease, now ?? T0), default);

    protected async Task<List<long>> ApplyAsync(DateTimeOffset now, params AttemptOutcome[] outcomes) =>
        [.. (await Store.JobApplyOutcomesAsync(new JobApplyOutcomesParams(outcomes, now), default)).Select(a => a.Id)];

    protected static JobLease L(long id, int attempt = 1) => new(id, attempt);

    protected static JobError E(string message, int attempt = 1) => new(T0, attempt, "E", message);

    protected async Task<Job> GetAsync(long id) => await Store.JobGetAsync(id, default) ?? throw new InvalidOperationException($"job {id} missing");
}
