namespace Conveyor.Storage;

/// <summary>Creates or upgrades the store's schema.</summary>
public interface IStoreMigrator
{
    /// <summary>Applies pending migrations; throws <see cref="StoreVersionException"/> when the database is newer than this code.</summary>
    Task MigrateAsync(CancellationToken ct);
}

/// <summary>One database behind the small contracts the engine needs.</summary>
public interface IConveyorStore : IJobStore, IJobMonitor, IWorkerRegistry, IStoreMigrator, IAsyncDisposable
{
    /// <summary>For banners and logs: "sqlite ./conveyor.db". Never contains a password.</summary>
    string Description { get; }

    IJobNotifier Notifier { get; }
}

/// <summary>The database schema was written by a newer Conveyor than this one.</summary>
public sealed class StoreVersionException(string message) : Exception(message);

/// <summary>The store could not be reached (file not openable, server down, authentication refused).</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
