using System.ComponentModel.DataAnnotations;
using JobTracking.WebSample.Catalog;

namespace JobTracking.WebSample.Jobs;

/// <summary>Parameters of <see cref="CompletenessJob"/>.</summary>
public sealed record CompletenessParameters
{
    /// <summary>A score below this (0 to 100) is logged as a warning.</summary>
    [Range(0, 100)]
    public int WarnBelow { get; init; } = 70;

    /// <summary>A pause after each product, so that the calculation can be followed in the dashboard.</summary>
    [Range(0, 5000)]
    public int RowDelayMilliseconds { get; init; } = 100;
}

/// <summary>
/// The project calculation: a completeness score per product, the share of the attributes a product page needs
/// (name, brand, category, description, price, stock, badge) that the product has. Products below the threshold are warned about.
/// </summary>
public sealed class CompletenessJob(ProductCatalog catalog, TimeProvider clock) : JobDefinition<CompletenessParameters>
{
    public override string DisplayName => "Project calculation: completeness";

    public override async ValueTask ExecuteAsync(IJobContext<CompletenessParameters> context)
    {
        var products = catalog.Snapshot();
        var step = context.BeginStep("score");
        for (var i = context.GetCheckpoint<int>(); i < products.Count; i++)
        {
            var p = products[i];
            step.AddRead();
            bool[] filled =
            [
                p.Name.Length > 0, p.Brand is not null, p.Category is not null, p.Description is not null, p.Price > 0, p.Stock > 0,
                p.Attributes.ContainsKey("badge"),
            ];
            var score = (int)Math.Round(100.0 * filled.Count(f => f) / filled.Length);
            catalog.Update(p.Sku, product => product.Completeness = score);
            step.AddWritten();
            if (score < context.Parameters.WarnBelow)
            {
                // One warning per product, counted by the step (and so the job); the log line says which product.
                context.Logger.LogInformation("{Sku} '{Name}' is {Score} % complete", p.Sku, p.Name, score);
                step.AddWarning();
            }

            context.SetCheckpoint(i + 1);
            context.ReportProgress(i + 1, products.Count);
            await Task.Delay(TimeSpan.FromMilliseconds(context.Parameters.RowDelayMilliseconds), clock, context.CancellationToken);
            await context.SafePointAsync();
        }

        step.Complete();
        if (products.Count == 0)
        {
            context.Logger.LogWarning("The catalog has no product to score; run the product import first");
        }
    }
}
