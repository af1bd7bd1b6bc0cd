using System.Reflection;
using System.Text.RegularExpressions;
using JobTracking.Testing;

namespace JobTracking.ReadmeTests;

/// <summary>The custom-store guide's table of rules names every test of the conformance kit, and only those.</summary>
public sealed partial class CustomStoreGuideTests
{
    private const string Heading = "## Every rule and the kit test that checks it";

    [Fact]
    public void RulesTable_NamesEveryKitTest_AndOnlyKitTests()
    {
        var kitTests = typeof(JobStoreConformanceTests).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<FactAttribute>() is not null)
            .Select(m => m.Name)
            .ToHashSet(StringComparer.Ordinal);
        var named = RulesTableRows().SelectMany(row => TestName().Matches(row.Split('|')[3]).Select(m => m.Groups["name"].Value)).ToHashSet(StringComparer.Ordinal);

        Assert.True(kitTests.Count >= 70, "the kit's tests are found");
        Assert.True(named.Except(kitTests).ToList() is [], $"the table names tests the kit does not have: {string.Join(", ", named.Except(kitTests))}");
        Assert.True(kitTests.Except(named).ToList() is [], $"kit tests missing from the table (each checks a rule to list): {string.Join(", ", kitTests.Except(named))}");
    }

    [Fact]
    public void RulesTable_EveryRuleHasATest()
    {
        var rows = RulesTableRows();

        Assert.True(rows.Count >= 30, "the table's rows are found");
        Assert.All(rows, row => Assert.Matches(TestName(), row.Split('|')[3]));
    }

    [Fact]
    public void KitProject_PackageVersions_AreTheRepositorysOwn()
    {
        var guide = File.ReadAllText(Path.Combine(ReadmeCodeBlock.RepositoryRoot, "docs", "custom-stores.md"));
        var central = File.ReadAllText(Path.Combine(ReadmeCodeBlock.RepositoryRoot, "Directory.Packages.props"));
        var version = VersionProperty().Match(File.ReadAllText(Path.Combine(ReadmeCodeBlock.RepositoryRoot, "Directory.Build.props"))).Groups["version"].Value;
        var start = guide.IndexOf("<!-- kit-guide:project -->", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/custom-stores.md marks the kit's test project");
        var project = guide[start..guide.IndexOf("</Project>", start, StringComparison.Ordinal)];

        var references = PackageReference().Matches(project).ToDictionary(m => m.Groups["id"].Value, m => m.Groups["version"].Value);

        Assert.Equal(["JobTracking.Testing", "Microsoft.NET.Test.Sdk", "xunit.runner.visualstudio", "xunit.v3"], references.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(version, references["JobTracking.Testing"]);
        foreach (var (id, referenced) in references.Where(r => r.Key != "JobTracking.Testing"))
        {
            Assert.Contains($"<PackageVersion Include=\"{id}\" Version=\"{referenced}\" />", central, StringComparison.Ordinal);
        }
    }

    private static List<string> RulesTableRows()
    {
        var text = File.ReadAllText(Path.Combine(ReadmeCodeBlock.RepositoryRoot, "docs", "custom-stores.md"));
        var start = text.IndexOf(Heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/custom-stores.md has the section '{Heading}'");
        return
        [
            .. text[start..].Split('\n')
                .SkipWhile(line => !line.StartsWith("| contract |", StringComparison.Ordinal))
                .Skip(2)
                .TakeWhile(line => line.StartsWith('|')),
        ];
    }

    [GeneratedRegex(@"<PackageReference Include=""(?<id>[^""]+)"" Version=""(?<version>[^""]+)"" />")]
    private static partial Regex PackageReference();

    [GeneratedRegex(@"<Version>(?<version>[^<]+)</Version>")]
    private static partial Regex VersionProperty();

    [GeneratedRegex(@"`(?<name>[A-Z][A-Za-z]+_[A-Za-z_]+)`")]
    private static partial Regex TestName();
}
