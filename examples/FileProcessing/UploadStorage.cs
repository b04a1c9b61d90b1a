namespace FileProcessing;

/// <summary>Where uploaded files live until their job has read them.</summary>
public sealed class UploadStorage(string root, TimeSpan delayPerFile)
{
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>A pause after each file, so that progress can be watched in the demo (configuration "DelayPerFile").</summary>
    public TimeSpan DelayPerFile { get; } = delayPerFile;

    public string PathOf(string uploadId, string file) => Path.Combine(Root, uploadId, file);

    /// <summary>Saves the files under a new upload id; names are reduced to their file name part.</summary>
    public async Task<(string UploadId, List<string> Files)> SaveAsync(IFormFileCollection files, CancellationToken ct)
    {
        var uploadId = Guid.NewGuid().ToString("N");
        var folder = Path.Combine(Root, uploadId);
        Directory.CreateDirectory(folder);
        var names = new List<string>();
        foreach (var file in files)
        {
            var name = Path.GetFileName(file.FileName);
            if (string.IsNullOrWhiteSpace(name) || names.Contains(name))
                name = $"file-{names.Count + 1}.txt";
            await using var target = File.Create(Path.Combine(folder, name));
            await file.CopyToAsync(target, ct);
            names.Add(name);
        }
        return (uploadId, names);
    }
}
