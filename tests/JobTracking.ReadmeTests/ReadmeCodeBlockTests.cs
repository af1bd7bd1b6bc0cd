namespace JobTracking.ReadmeTests;

/// <summary>Every C# block of the READMEs compiles as a reader pastes it (see <see cref="ReadmeCompiler"/> for the rules).</summary>
public sealed class ReadmeCodeBlockTests
{
    public static TheoryData<string, int> Blocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in ReadmeCodeBlock.ReadmeFiles)
        {
            foreach (var block in ReadmeCodeBlock.Read(file))
            {
                data.Add(block.File, block.Line);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void CodeBlock_AsPasted_Compiles(string file, int line)
    {
        var block = ReadmeCodeBlock.Read(file).Single(b => b.Line == line);

        var problems = ReadmeCompiler.Compile(block);

        Assert.True(problems.Count == 0, $"The ```csharp block at {block} does not compile:\n{string.Join('\n', problems)}\n\n{block.Code}");
    }

    [Fact]
    public void Readmes_HaveCSharpBlocks()
    {
        Assert.Contains("README.md", ReadmeCodeBlock.ReadmeFiles);
        Assert.True(ReadmeCodeBlock.Read("README.md").Count >= 5, "the README's C# blocks are found");
    }

    [Fact]
    public void Harness_CompilesOnItsOwn()
    {
        var problems = ReadmeCompiler.Compile(new ReadmeCodeBlock("README.md", 0, "using JobTracking.Storage;\n\nIJobStore store = new MyStore();\nIJobQueryStore queries = new MyStore(TimeProvider.System);\nConsole.WriteLine(store);\nConsole.WriteLine(queries);\n"));

        Assert.Empty(problems);
    }
}
