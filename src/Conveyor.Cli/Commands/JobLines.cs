using System.Text.Json;
using Conveyor.Web;

namespace Conveyor.Cli.Commands;

/// <summary>Jobs from a JSON-lines file, one request object per line, in the HTTP API's shape (so dependsOn, ref and weight work alike).</summary>
internal static class JobLines
{
    /// <summary>Reads <paramref name="path"/> ("-": standard input); a bad line is an error naming its number, and nothing is enqueued.</summary>
    public static List<JobRequest> Read(string path, string option)
    {
        var lines = path == "-" ? ReadAll(Console.In)
            : File.Exists(path) ? File.ReadAllLines(path)
            : throw new JobValidationException($"{option}: no file '{path}'.");
        var requests = new List<JobRequest>();
        foreach (var (line, number) in lines.Select((l, i) => (l, i + 1)).Where(x => !string.IsNullOrWhiteSpace(x.l)))
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                requests.Add(JobRequestReader.Read(document.RootElement));
            }
            catch (Exception ex) when (ex is JsonException or JobValidationException or FormatException)
            {
                throw new JobValidationException($"{option} {path} line {number}: {ex.Message}");
            }
        }
        if (requests.Count == 0)
            throw new JobValidationException($"{option}: '{path}' holds no jobs.");
        return requests;
    }

    private static string[] ReadAll(TextReader reader)
    {
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
            lines.Add(line);
        return [.. lines];
    }
}
