using Conveyor;

namespace FileProcessing;

/// <param name="UploadId">The folder under the upload root holding this upload's files.</param>
/// <param name="Files">File names, processed in this order.</param>
public sealed record CountWords(string UploadId, IReadOnlyList<string> Files);

public sealed record FileWordCount(string File, int Words, int Lines, long Bytes);

/// <summary>Counts words file after file, reporting progress after each; the per-file counts are the result.</summary>
public sealed class CountWordsHandler(UploadStorage storage) : IJobHandler<CountWords>
{
    public async Task<JobResult> HandleAsync(JobContext<CountWords> job, CancellationToken ct)
    {
        var results = new List<FileWordCount>(job.Args.Files.Count);
        var total = job.Args.Files.Count;
        await job.ReportProgressAsync(0, "starting", 0, total);
        foreach (var file in job.Args.Files)
        {
            var path = storage.PathOf(job.Args.UploadId, file);
            if (!File.Exists(path))
                throw new JobPermanentFailureException($"Uploaded file '{file}' is gone.");
            var text = await File.ReadAllTextAsync(path, ct);
            var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            var lines = text.Length == 0 ? 0 : text.Count(c => c == '\n') + (text.EndsWith('\n') ? 0 : 1);
            results.Add(new FileWordCount(file, words, lines, new FileInfo(path).Length));
            await job.ReportProgressAsync(null, $"counted {file}", results.Count, total);
            if (storage.DelayPerFile > TimeSpan.Zero)
                await Task.Delay(storage.DelayPerFile, ct);
        }
        return JobResult.Completed(new { files = results, totalWords = results.Sum(r => r.Words) });
    }
}
