using System.Reflection;
using System.Text.RegularExpressions;

namespace JobTracking.ReadmeTests;

/// <summary>One <c>```csharp</c> block of a README: the file, the line of its opening fence, and its code as a reader copies it.</summary>
public sealed partial record ReadmeCodeBlock(string File, int Line, string Code)
{
    /// <summary>Gets the repository's root folder, as it was when the tests were built.</summary>
    public static string RepositoryRoot { get; } = typeof(ReadmeCodeBlock).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    /// <summary>Gets the files whose code blocks are checked: the README, the guides in <c>docs/</c>, CONTRIBUTING.md, then each package's README.</summary>
    public static IReadOnlyList<string> ReadmeFiles { get; } =
    [
        "README.md",
        .. Directory.GetFiles(Path.Combine(RepositoryRoot, "docs"), "*.md")
            .Select(Relative)
            .Order(StringComparer.Ordinal),
        "CONTRIBUTING.md",
        .. Directory.GetDirectories(Path.Combine(RepositoryRoot, "src"))
            .Select(folder => Path.Combine(folder, "README.md"))
            .Where(System.IO.File.Exists)
            .Select(Relative)
            .Order(StringComparer.Ordinal),
    ];

    /// <summary>Gets the guides in <c>docs/</c>, relative to the repository root.</summary>
    public static IReadOnlyList<string> Guides { get; } = [.. ReadmeFiles.Where(f => f.StartsWith("docs/", StringComparison.Ordinal))];

    /// <summary>Reads the C# blocks of one README, given relative to the repository root.</summary>
    /// <param name="file">The README, for example <c>README.md</c>.</param>
    /// <returns>The blocks in the order they appear.</returns>
    public static IReadOnlyList<ReadmeCodeBlock> Read(string file)
    {
        var lines = System.IO.File.ReadAllLines(Path.Combine(RepositoryRoot, file));
        var blocks = new List<ReadmeCodeBlock>();
        for (var i = 0; i < lines.Length; i++)
        {
            var open = OpeningFence().Match(lines[i]);
            if (!open.Success)
            {
                continue;
            }

            // A block inside a list item is indented; the reader copies it without that indentation.
            var indent = open.Groups["indent"].Value.Length;
            var code = new List<string>();
            var j = i + 1;
            for (; j < lines.Length && lines[j].Trim() != "```"; j++)
            {
                code.Add(lines[j].Length >= indent && string.IsNullOrWhiteSpace(lines[j][..indent]) ? lines[j][indent..] : lines[j].TrimStart());
            }

            if (j == lines.Length)
            {
                throw new InvalidDataException($"{file}:{i + 1}: the ```csharp block is never closed.");
            }

            blocks.Add(new ReadmeCodeBlock(file, i + 1, string.Join('\n', code)));
            i = j;
        }

        return blocks;
    }

    public override string ToString() => $"{File}:{Line}";

    private static string Relative(string path) => Path.GetRelativePath(RepositoryRoot, path).Replace('\\', '/');

    [GeneratedRegex(@"^(?<indent>\s*)```(csharp|cs|c#)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex OpeningFence();
}
