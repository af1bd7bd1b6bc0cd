using JobTracking.Storage;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace JobTracking.ReadmeTests;

/// <summary>
/// Compiles one README (or guide) block as a file of a console application (<c>Microsoft.NET.Sdk</c>, nullable on) that references
/// the JobTracking packages, ASP.NET Core, Microsoft.Extensions.Hosting, OpenTelemetry and xunit v3.
/// </summary>
/// <remarks>
/// <para>A block is compiled as pasted: it must carry its own <c>using</c> lines, beyond the implicit usings of a console
/// project (System, System.Collections.Generic, System.IO, System.Linq, System.Net.Http, System.Threading,
/// System.Threading.Tasks). It may use top-level statements.</para>
/// <para>A block may use the types the other blocks of the same file declare (a file reads as one project), and a
/// guide in <c>docs/</c> or a package README also those of the repository's README (its <c>ImportJob</c>, for example).</para>
/// <para>What a reader's own application has around a snippet is given by a harness (<see cref="HarnessSource"/>):
/// the variables <c>builder</c> (a <c>HostApplicationBuilder</c>), <c>services</c>, <c>runner</c>, <c>events</c>,
/// <c>tracker</c>, <c>catalog</c>, <c>id</c> and <c>cancellationToken</c>; the reader's product catalog
/// <c>IProductCatalog</c>; and <c>MyStore</c>, the reader's own <c>IJobStore</c>.</para>
/// <para>A block fails on an error in its own code or the harness, and on a warning in its own code.</para>
/// </remarks>
public static class ReadmeCompiler
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly string[] ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks",
    ];

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());

    /// <summary>Gets the harness: what a snippet takes as given from the application around it.</summary>
    public static string HarnessSource { get; } = BuildHarness();

    /// <summary>Compiles a block and returns what is wrong with it, one line per diagnostic; empty when it compiles cleanly.</summary>
    /// <param name="block">The block.</param>
    /// <returns>The errors in the block and the harness, and the warnings in the block.</returns>
    public static IReadOnlyList<string> Compile(ReadmeCodeBlock block)
    {
        var (compilation, own, ownTrees) = Build(block);

        // Errors in another block's types are that block's own failure.
        return
        [
            .. compilation.GetDiagnostics()
                .Where(d => d.Location.SourceTree is null || ownTrees.Contains(d.Location.SourceTree))
                .Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree == own))
                .Select(d => d.ToString()),
        ];
    }

    /// <summary>Returns the names a block takes from the harness (a variable such as <c>runner</c>, or a type such as <c>MyStore</c>), each once.</summary>
    /// <param name="block">The block.</param>
    /// <returns>The names, in the order they first appear.</returns>
    public static IReadOnlyList<string> HarnessNamesUsed(ReadmeCodeBlock block)
    {
        var (compilation, own, _) = Build(block);
        var model = compilation.GetSemanticModel(own);
        return
        [
            .. own.GetRoot().DescendantNodes().OfType<IdentifierNameSyntax>()
                .Select(name => model.GetSymbolInfo(name).Symbol)
                .Where(symbol => symbol is INamedTypeSymbol { ContainingNamespace.Name: "ReadmeHarness" } || symbol?.ContainingType?.Name == "Given")
                .Select(symbol => symbol!.Name)
                .Distinct(StringComparer.Ordinal),
        ];
    }

    private static (CSharpCompilation Compilation, SyntaxTree Own, HashSet<SyntaxTree> OwnTrees) Build(ReadmeCodeBlock block)
    {
        var own = CSharpSyntaxTree.ParseText(block.Code, ParseOptions, path: block.ToString());
        var declared = DeclaredTypeNames((CompilationUnitSyntax)own.GetRoot()).ToHashSet(StringComparer.Ordinal);

        var trees = new List<SyntaxTree>
        {
            own,
            CSharpSyntaxTree.ParseText(string.Concat(ImplicitUsings.Select(u => $"global using {u};\n")), ParseOptions, path: "ImplicitUsings.cs"),
            CSharpSyntaxTree.ParseText(HarnessSource, ParseOptions, path: "Harness.cs"),
        };

        // The other blocks' type declarations, each name once: the same file first, then the repository's README.
        var sources = ReadmeCodeBlock.Read(block.File).Concat(block.File == "README.md" ? [] : ReadmeCodeBlock.Read("README.md"));
        foreach (var other in sources.Where(b => b != block))
        {
            var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(other.Code, ParseOptions).GetRoot();
            var types = root.Members.OfType<BaseTypeDeclarationSyntax>().Where(t => declared.Add(t.Identifier.ValueText)).ToList();
            if (types.Count > 0)
            {
                var typesOnly = root.WithMembers(SyntaxFactory.List<MemberDeclarationSyntax>(types));
                trees.Add(CSharpSyntaxTree.Create(typesOnly, ParseOptions, path: $"{other} (types)"));
            }
        }

        var hasStatements = own.GetRoot().ChildNodes().OfType<GlobalStatementSyntax>().Any();
        var compilation = CSharpCompilation.Create(
            "Readme",
            trees,
            References.Value,
            new CSharpCompilationOptions(hasStatements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        return (compilation, own, trees.Take(3).ToHashSet());
    }

    private static IEnumerable<string> DeclaredTypeNames(CompilationUnitSyntax root) =>
        root.Members.OfType<BaseTypeDeclarationSyntax>().Select(t => t.Identifier.ValueText);

    private static string BuildHarness()
    {
        var harness = new StringBuilder("""
            global using static ReadmeHarness.Given;
            global using ReadmeHarness;

            using JobTracking;
            using Microsoft.Extensions.DependencyInjection;
            using Microsoft.Extensions.Hosting;

            namespace ReadmeHarness
            {
                /// <summary>The variables a snippet finds around it in an application.</summary>
                public static class Given
                {
                    public static readonly HostApplicationBuilder builder = Host.CreateApplicationBuilder();
                    public static IServiceCollection services => builder.Services;
                    public static readonly IJobRunner runner = null!;
                    public static readonly IJobEvents events = null!;
                    public static readonly IJobTracker tracker = null!;
                    public static readonly IProductCatalog catalog = null!;
                    public static readonly Guid id = Guid.NewGuid();
                    public static readonly CancellationToken cancellationToken = CancellationToken.None;
                }

                /// <summary>The reader's product catalog, which the README's import job reads and writes.</summary>
                public interface IProductCatalog
                {
                    Task<IReadOnlyList<string>> ReadAsync(string file, CancellationToken cancellationToken);

                    Task SaveAsync(string row, CancellationToken cancellationToken);
                }

            """);
        harness.Append(Stub("MyStore", [typeof(IJobStore), typeof(IJobJournalStore), typeof(IJobQueryStore), typeof(IJobFeedStore)], "The reader's own store.")).Append("}\n");
        return harness.ToString();
    }

    // A class that implements the interface with members that throw, written from the interface as built, so that it
    // follows the interface when it changes.
    private static string Stub(string name, Type[] contracts, string summary)
    {
        var code = new StringBuilder($"    /// <summary>{summary}</summary>\n    public sealed class {name}(TimeProvider? clock = null) : {string.Join(", ", contracts.Select(TypeName))}\n    {{\n");
        code.Append("        public TimeProvider Clock { get; } = clock ?? TimeProvider.System;\n");
        foreach (var type in contracts.SelectMany(c => c.GetInterfaces().Prepend(c)).Distinct())
        {
            foreach (var property in type.GetProperties().Where(p => p.GetMethod is { IsAbstract: true }))
            {
                code.Append($"        {TypeName(property.PropertyType)} {TypeName(type)}.{property.Name} => throw new NotSupportedException();\n");
            }

            foreach (var method in type.GetMethods().Where(m => m.IsAbstract && !m.IsSpecialName))
            {
                var parameters = string.Join(", ", method.GetParameters().Select(p => $"{TypeName(p.ParameterType)} {p.Name}"));
                code.Append($"        {TypeName(method.ReturnType)} {TypeName(type)}.{method.Name}({parameters}) => throw new NotSupportedException();\n");
            }
        }

        return code.Append("    }\n").ToString();
    }

    private static string TypeName(Type type)
    {
        if (type == typeof(void))
        {
            return "void";
        }

        if (type.IsByRef || type.IsPointer || type.IsGenericParameter)
        {
            throw new NotSupportedException($"The stub writer does not handle {type}; write the stub by hand.");
        }

        if (type.IsArray)
        {
            return $"{TypeName(type.GetElementType()!)}[]";
        }

        var name = "global::" + (type.IsGenericType ? type.GetGenericTypeDefinition() : type).FullName!.Replace('+', '.');
        return type.IsGenericType
            ? $"{name[..name.IndexOf('`', StringComparison.Ordinal)]}<{string.Join(", ", type.GetGenericArguments().Select(TypeName))}>"
            : name;
    }
}
