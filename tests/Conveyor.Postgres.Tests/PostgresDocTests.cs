using Conveyor.Conformance;
using Conveyor.Testing;
using Conveyor.TestSupport;
using Npgsql;
using Xunit;
using static Conveyor.Postgres.Tests.Sql;

namespace Conveyor.Postgres.Tests;

/// <summary>The docs' SQL and PostgreSQL blocks, run on a real server (see <see cref="DocBlocks"/>); each on a fresh database.</summary>
public sealed class PostgresDocTests
{
    public static string? SkipReason => PostgresServer.UnavailableReason;

    private static async Task<string> NewDatabaseAsync(DocBlocks.Block block)
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("docs");
        await using (var store = new PostgresStore(database))
            await store.MigrateAsync(default);
        if (block.Setup is { } setup)
            await ExecuteAsync(database, setup);
        return database;
    }

    [StoreFact]
    public async Task Every_sql_block_runs()
    {
        var blocks = DocBlocks.All().Where(b => b.Runner == "sql").ToList();
        Assert.NotEmpty(blocks);
        foreach (var block in blocks)
        {
            var database = await NewDatabaseAsync(block);
            try
            {
                await ExecuteAsync(database, block.Code);
            }
            catch (PostgresException ex)
            {
                Assert.Fail($"{block}: {ex.MessageText} at position {ex.Position}");
            }
        }
    }

    [StoreFact]
    public async Task Every_postgres_shell_block_runs()
    {
        var blocks = DocBlocks.All().Where(b => b.Runner == "postgres-cli").ToList();
        Assert.NotEmpty(blocks);
        foreach (var block in blocks)
        {
            var database = await NewDatabaseAsync(block);
            using var dir = new TempDirectory("conveyor-docs-pg");
            // A guide that sets CONVEYOR_DATABASE to its example server keeps the test's own instead.
            var failure = await DocBlocks.RunShellAsync(block, DocBlocks.PrepareReader(dir.Path, database), dir.Path,
                command => command.StartsWith("export CONVEYOR_DATABASE=", StringComparison.Ordinal) ? "true" : command);
            Assert.True(failure is null, failure);
        }
    }

    public sealed record SendReceipt(long OrderId);

    public sealed record Order(long Id, string Customer);

    public sealed class SendReceiptHandler : IJobHandler<SendReceipt>
    {
        public Task<JobResult> HandleAsync(JobContext<SendReceipt> job, CancellationToken ct) => Task.FromResult(JobResult.Completed());
    }

    private static async Task InsertOrderAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Order order)
    {
        await using var command = new NpgsqlCommand("INSERT INTO orders (id, customer) VALUES ($1, $2)", connection, tx);
        command.Parameters.Add(new NpgsqlParameter { Value = order.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = order.Customer });
        await command.ExecuteNonQueryAsync();
    }

    [StoreFact]
    public async Task The_readme_transaction_sample_enqueues_with_the_order_or_not_at_all()
    {
        var database = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("docs");
        await ExecuteAsync(database, "CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL)");
        await using var store = new PostgresStore(database);
        await using var host = new ConveyorTestHost(store, o => o.AddHandler<SendReceipt, SendReceiptHandler>("orders.send-receipt"));
        await host.StartAsync();
        var jobs = host.Client;
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();

        var order = new Order(7, "ada");
        // sample: enqueue-in-transaction
        await using var tx = await connection.BeginTransactionAsync();
        await InsertOrderAsync(connection, tx, order);
        await jobs.EnqueueAsync(new SendReceipt(order.Id), null, tx);   // exists if and only if tx commits
        await tx.CommitAsync();
        // end sample

        await using (var rolledBack = await connection.BeginTransactionAsync())
        {
            await InsertOrderAsync(connection, rolledBack, new Order(8, "grace"));
            await jobs.EnqueueAsync(new SendReceipt(8), null, rolledBack);
            await rolledBack.RollbackAsync();
        }
        var receipts = await jobs.ListAsync(new JobQuery { Kind = "orders.send-receipt" });
        Assert.Equal(7, Assert.Single(receipts).Args.GetProperty("orderId").GetInt64());
        Assert.Equal(1, await CountAsync(database, "SELECT count(*) FROM orders"));
    }
}
