using System.ComponentModel.DataAnnotations;
using System.Globalization;
using JobTracking.WebSample.Catalog;

namespace JobTracking.WebSample.Jobs;

/// <summary>Parameters of <see cref="RuleExecutionJob"/>.</summary>
public sealed record RuleExecutionParameters
{
    /// <summary>The rules file of the sample's data folder (attribute,value,field,operator,operand).</summary>
    [Required]
    public string RulesFile { get; init; } = "rules.csv";

    /// <summary>A pause after each product, so that the rules can be followed in the dashboard.</summary>
    [Range(0, 5000)]
    public int RowDelayMilliseconds { get; init; } = 100;
}

/// <summary>
/// Sets attributes by rules: for each product, each rule whose condition holds (name contains, price or stock below or
/// above a number) sets its attribute. A rule the job cannot read is rejected with the reason and the others still run.
/// </summary>
public sealed class RuleExecutionJob(ProductCatalog catalog, SampleFolders folders, TimeProvider clock) : JobDefinition<RuleExecutionParameters>
{
    public override string DisplayName => "Rule execution";

    public override IEnumerable<JobParameterError> Validate(RuleExecutionParameters parameters)
    {
        if (folders.DataFile(parameters.RulesFile) is null)
        {
            yield return new JobParameterError(nameof(parameters.RulesFile), $"'{parameters.RulesFile}' is not a file of the sample's data folder.");
        }
    }

    public override async ValueTask ExecuteAsync(IJobContext<RuleExecutionParameters> context)
    {
        var lines = await File.ReadAllLinesAsync(folders.DataFile(context.Parameters.RulesFile)!, context.CancellationToken);
        var rules = new List<Rule>();
        var load = context.BeginStep("load rules");
        for (var n = 1; n < lines.Length; n++)
        {
            load.AddRead();
            var f = CsvLine.Split(lines[n]);
            if (f.Count != 5 || f[3] is not ("contains" or "<" or ">") || (f[3] != "contains" && !decimal.TryParse(f[4], NumberStyles.Number, CultureInfo.InvariantCulture, out _)))
            {
                await context.RejectAsync(n, lines[n], "a rule is attribute,value,field,operator (contains, < or >),operand");
                load.AddSkipped();
                continue;
            }

            rules.Add(new Rule(f[0], f[1], f[2], f[3], f[4]));
        }

        load.Complete();
        var products = catalog.Snapshot();
        var apply = context.BeginStep("apply rules");
        var set = 0;
        for (var i = context.GetCheckpoint<int>(); i < products.Count; i++)
        {
            apply.AddRead();
            var matching = rules.Where(r => r.Holds(products[i])).ToList();
            if (matching.Count > 0)
            {
                catalog.Update(products[i].Sku, product =>
                {
                    foreach (var rule in matching)
                    {
                        rule.Apply(product);
                    }
                });
                apply.AddWritten(matching.Count);
                set += matching.Count;
            }

            context.SetCheckpoint(i + 1);
            context.ReportProgress(i + 1, products.Count);
            await Task.Delay(TimeSpan.FromMilliseconds(context.Parameters.RowDelayMilliseconds), clock, context.CancellationToken);
            await context.SafePointAsync();
        }

        apply.Complete();
        context.Logger.LogInformation("{Rules} rules set {Attributes} attributes on {Products} products", rules.Count, set, products.Count);
    }

    private sealed record Rule(string Attribute, string Value, string Field, string Operator, string Operand)
    {
        public bool Holds(Product p) => Field switch
        {
            "name" => Operator == "contains" && p.Name.Contains(Operand, StringComparison.OrdinalIgnoreCase),
            "price" => Compare(p.Price),
            "stock" => Compare(p.Stock),
            _ => false,
        };

        public void Apply(Product p)
        {
            if (Attribute == "category")
            {
                p.Category = Value;
            }
            else
            {
                p.Attributes[Attribute] = Value;
            }
        }

        private bool Compare(decimal value)
        {
            var operand = decimal.Parse(Operand, NumberStyles.Number, CultureInfo.InvariantCulture);
            return Operator == "<" ? value < operand : Operator == ">" && value > operand;
        }
    }
}
