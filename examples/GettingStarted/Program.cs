// sample: program
using Conveyor;
using Conveyor.Web;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddConveyor(o => o
    .UseSqlite(builder.Configuration["Database"] ?? "Data Source=app.db")
    .AddHandler<Greet, GreetHandler>("greet"));
var app = builder.Build();

// Your endpoint: enqueue and answer at once; the job runs in the background.
app.MapPost("/greet/{name}", async (string name, IJobClient jobs) =>
{
    var (id, _) = await jobs.EnqueueAsync(new Greet(name));
    return Results.Accepted($"/api/jobs/{id}", new { id });
});
app.MapConveyor();              // the HTTP API: /api/jobs/{id} and the rest
app.MapConveyorDashboard("/jobs");
app.Run();

public sealed record Greet(string Name);

public sealed class GreetHandler : IJobHandler<Greet>
{
    public async Task<JobResult> HandleAsync(JobContext<Greet> job, CancellationToken ct)
    {
        await job.ReportProgressAsync(50, "greeting");
        return JobResult.Completed(new { greeting = $"Hello, {job.Args.Name}!" });
    }
}
// end sample
