using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace JobTracking.ReadmeTests;

/// <summary>
/// The Markdown files read as one set: the README stays short, every relative link and anchor between the files
/// resolves, and each guide names the variables its snippets take as given.
/// </summary>
public sealed partial class MarkdownTests
{
    /// <summary>The most the README may weigh, in bytes: what a newcomer reads in about ten minutes.</summary>
    public const int MaxReadmeBytes = 25_000;

    [Fact]
    public void Readme_IsAtMost25KB()
    {
        var bytes = new FileInfo(Path.Combine(ReadmeCodeBlock.RepositoryRoot, "README.md")).Length;

        Assert.True(bytes <= MaxReadmeBytes, $"README.md is {bytes} bytes; at most {MaxReadmeBytes}. Move reference material to a guide in docs/ and link it.");
    }

    [Fact]
    public void Readme_SetUpOnAFreshMachine_HasExactlyTheTwoCommands()
    {
        var section = Section(File.ReadAllText(Path.Combine(ReadmeCodeBlock.RepositoryRoot, "README.md")), "## Set up on a fresh machine");

        var commands = BashBlock().Matches(section).Select(m => m.Groups["code"].Value.Trim()).ToList();

        Assert.Equal(["dotnet run --project samples/JobTracking.Sample", "dotnet test JobTracking.sln -m:2"], commands);
    }

    public static TheoryData<string> MarkdownFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in AllMarkdownFiles())
        {
            data.Add(file);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void Links_ToFilesAndAnchors_Resolve(string file)
    {
        var broken = BrokenLinks(file);

        Assert.True(broken.Count == 0, $"{file} has links that do not resolve:\n{string.Join('\n', broken)}");
    }

    [Fact]
    public void Links_TheCheckItself_FindsAMissingFileAndAMissingAnchor()
    {
        var folder = Directory.CreateTempSubdirectory("jobtracking-links-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "a.md"), "# A\n\n## Where it is\n\n[ok](#where-it-is) [ok](b.md#b-title) [no](#nowhere) [no](missing.md) [no](b.md#gone) `[code](missing.md)`\n");
            File.WriteAllText(Path.Combine(folder.FullName, "b.md"), "# B title\n");

            var broken = BrokenLinks(Path.Combine(folder.FullName, "a.md"), folder.FullName);

            Assert.Equal(["#nowhere", "missing.md", "b.md#gone"], broken.Select(b => b.Split(' ')[0]));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    public static TheoryData<string> FilesWithSnippets()
    {
        var data = new TheoryData<string>();
        foreach (var file in ReadmeCodeBlock.Guides.Prepend("README.md").Where(f => ReadmeCodeBlock.Read(f).Count > 0))
        {
            data.Add(file);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FilesWithSnippets))]
    public void Snippets_NamesTakenAsGiven_AreSaidOnceAtTheTop(string file)
    {
        var text = File.ReadAllText(Path.Combine(ReadmeCodeBlock.RepositoryRoot, file));
        // The top: the text before the first C# block, and in a guide also before its first section.
        var firstBlock = text.IndexOf("```csharp", StringComparison.Ordinal);
        var firstSection = text.IndexOf("\n## ", StringComparison.Ordinal);
        var top = text[..(file == "README.md" || firstSection < 0 ? firstBlock : Math.Min(firstBlock, firstSection))];

        var unsaid = ReadmeCodeBlock.Read(file)
            .SelectMany(ReadmeCompiler.HarnessNamesUsed)
            .Distinct(StringComparer.Ordinal)
            .Where(name => !top.Contains($"`{name}`", StringComparison.Ordinal))
            .ToList();

        Assert.True(unsaid.Count == 0, $"{file}'s snippets use {string.Join(", ", unsaid)} without saying at the top what they are.");
    }

    private static IEnumerable<string> AllMarkdownFiles()
    {
        var root = ReadmeCodeBlock.RepositoryRoot;
        string[] skipped = ["bin", "obj", ".git", "node_modules", "BenchmarkDotNet.Artifacts", "TestResults"];
        return Directory.EnumerateFiles(root, "*.md", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Where(path => !path.Split('/').Any(part => skipped.Contains(part, StringComparer.Ordinal)))
            .Order(StringComparer.Ordinal);
    }

    private static List<string> BrokenLinks(string file, string? root = null)
    {
        root ??= ReadmeCodeBlock.RepositoryRoot;
        var path = Path.Combine(root, file);
        var folder = Path.GetDirectoryName(path)!;
        var broken = new List<string>();
        foreach (var target in LinkTargets(File.ReadAllText(path)))
        {
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
            {
                continue;
            }

            var hash = target.IndexOf('#', StringComparison.Ordinal);
            var relative = Uri.UnescapeDataString(hash < 0 ? target : target[..hash]);
            var anchor = hash < 0 ? null : target[(hash + 1)..];
            var linked = relative.Length == 0 ? path : Path.GetFullPath(Path.Combine(folder, relative));
            if (!File.Exists(linked) && !Directory.Exists(linked))
            {
                broken.Add($"{target} (no such file)");
            }
            else if (anchor is not null && !Anchors(File.ReadAllText(linked)).Contains(anchor))
            {
                broken.Add($"{target} (no such heading)");
            }
        }

        return broken;
    }

    // Links outside code: fenced blocks and inline code are left out, as a Markdown renderer does.
    private static IEnumerable<string> LinkTargets(string markdown)
    {
        var prose = InlineCode().Replace(FencedBlock().Replace(markdown, ""), "");
        return Link().Matches(prose).Select(m => m.Groups["target"].Value);
    }

    // GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, a repeated one numbered.
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match heading in Heading().Matches(FencedBlock().Replace(markdown, "")))
        {
            var text = heading.Groups["text"].Value.Trim().Replace("`", "", StringComparison.Ordinal);
            var slug = new StringBuilder();
            foreach (var c in text.ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c) || c is '-' or '_')
                {
                    slug.Append(c);
                }
                else if (c == ' ')
                {
                    slug.Append('-');
                }
            }

            var anchor = slug.ToString();
            for (var n = 1; !anchors.Add(anchor); n++)
            {
                anchor = string.Create(CultureInfo.InvariantCulture, $"{slug}-{n}");
            }
        }

        return anchors;
    }

    private static string Section(string markdown, string heading)
    {
        var start = markdown.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"the README has a '{heading}' section");
        var end = markdown.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? markdown[start..] : markdown[start..end];
    }

    [GeneratedRegex(@"^```bash\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    [GeneratedRegex(@"^\s*```.*?^\s*```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)(\s+""[^""]*"")?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();
}
