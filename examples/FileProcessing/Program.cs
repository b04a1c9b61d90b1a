using Conveyor;
using Conveyor.Web;
using FileProcessing;

// POST /uploads (multipart, several text files) enqueues one job and answers 202 at once;
// GET /uploads/{id} shows its state, progress (done/total, percent, stage) and, at the end, the per-file counts.
var builder = WebApplication.CreateBuilder(args);
// One line per upload and per job is enough; ASP.NET Core's two lines per request are not news.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
var database = builder.Configuration["Database"] ?? "Data Source=uploads.db";
// Uploaded files go to the system's temp folder unless told otherwise, not into the clone.
var storage = new UploadStorage(builder.Configuration["UploadRoot"] ?? Path.Combine(Path.GetTempPath(), "conveyor-file-processing"),
    TimeSpan.FromMilliseconds(builder.Configuration.GetValue("DelayPerFileMs", 500)));
builder.Services.AddSingleton(storage);
builder.Services.AddConveyor(o => o
    .UseSqlite(database)
    .AddHandler<CountWords, CountWordsHandler>("files.count-words", k => k.MaxAttempts = 3));

var app = builder.Build();

app.MapPost("/uploads", async (HttpRequest request, IJobClient jobs, CancellationToken ct) =>
{
    if (!request.HasFormContentType)
        return Results.Problem(statusCode: 400, title: "Send the files as multipart/form-data.");
    var form = await request.ReadFormAsync(ct);
    if (form.Files.Count == 0)
        return Results.Problem(statusCode: 400, title: "No files in the upload.");
    var (uploadId, files) = await storage.SaveAsync(form.Files, ct);
    var job = await jobs.EnqueueAsync(new CountWords(uploadId, files), new EnqueueOptions { Tags = ["upload"] }, ct);
    return Results.Accepted($"/uploads/{job.Id}", new { id = job.Id, files = files.Count, status = $"/uploads/{job.Id}" });
}).DisableAntiforgery();

app.MapGet("/uploads/{id:long}", async (long id, IJobClient jobs, CancellationToken ct) =>
{
    var job = await jobs.GetAsync(id, ct);
    if (job is null || job.Kind != "files.count-words")
        return Results.Problem(statusCode: 404, title: $"No upload {id}.");
    return Results.Json(new
    {
        id = job.Id,
        state = job.State.ToName(),
        progress = job.Progress,
        attempt = job.Attempt,
        result = job.Result,
        error = job.State == JobState.Failed ? job.Errors.LastOrDefault()?.Message : null,
    }, ConveyorJson.Options);
});

app.MapConveyor();
app.Run();
