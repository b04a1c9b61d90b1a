using Spectre.Console;

namespace Conveyor.Cli;

/// <summary>
/// Terminal or not: on a terminal, colours and boxed tables as wide as the window; piped or redirected, plain text with
/// no escape codes, no borders and no wrapping (a table row stays one line), so that grep, awk and files get what they
/// expect. Scripts that parse should still prefer --json.
/// </summary>
internal static class CliOutput
{
    private const int PlainWidth = 4096;

    public static bool Plain => Console.IsOutputRedirected;

    /// <summary>Called once at start, before anything is written.</summary>
    public static void Configure()
    {
        if (!Plain)
            return;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(new LineTrimmingWriter(Console.Out)),
        });
        console.Profile.Width = PlainWidth;
        AnsiConsole.Console = console;
    }

    /// <summary>A table with these columns: boxed on a terminal, bare columns when piped.</summary>
    public static Table NewTable(params string[] columns) =>
        new Table().Border(Plain ? TableBorder.None : TableBorder.Square).AddColumns(columns);

    /// <summary>Drops the spaces a table pads its last column with, line by line, so that piped rows end at their text.</summary>
    private sealed class LineTrimmingWriter(TextWriter inner) : TextWriter
    {
        private readonly System.Text.StringBuilder _line = new();

        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            if (value == '\n')
            {
                var end = _line.Length;
                while (end > 0 && _line[end - 1] is ' ' or '\r')
                    end--;
                inner.Write(_line.ToString(0, end));
                inner.Write('\n');
                _line.Clear();
            }
            else
            {
                _line.Append(value);
            }
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? "")
                Write(c);
        }

        public override void Flush()
        {
            // An unfinished line (a prompt-like write without a newline) goes out as it is.
            inner.Write(_line.ToString());
            _line.Clear();
            inner.Flush();
        }
    }
}
