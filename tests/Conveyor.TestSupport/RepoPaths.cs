namespace Conveyor.TestSupport;

/// <summary>Finds the repository and the programs the build produced (the CLI, the test handler assembly).</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: whatever this test assembly was built as.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

    public static string CliDll => Built("src/Conveyor.Cli", "Conveyor.Cli.dll");

    public static string TestHandlersDll => Built("tests/Conveyor.TestHandlers", "Conveyor.TestHandlers.dll");

    public static string FileProcessingExampleDll => Built("examples/FileProcessing", "FileProcessing.dll");

    private static string Built(string project, string file)
    {
        var path = Path.Combine(Root, project, "bin", Configuration, "net10.0", file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{file} is not built; build the solution first (dotnet build Conveyor.slnx).", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Conveyor.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find Conveyor.slnx above " + AppContext.BaseDirectory);
    }
}
