using System.ComponentModel.DataAnnotations;
using JobTracking.WebSample.Catalog;

namespace JobTracking.WebSample.Jobs;

/// <summary>Parameters of <see cref="MassEditJob"/>.</summary>
public sealed record MassEditParameters
{
    /// <summary>Only products of this category, or every product when empty.</summary>
    public string? Category { get; init; }

    /// <summary>The price change in percent, -90 to 500 (10 raises every price by 10 %).</summary>
    [Range(-90, 500)]
    public decimal PriceChangePercent { get; init; } = 5;

    /// <summary>A pause after each product, so that the edit can be followed in the dashboard.</summary>
    [Range(0, 5000)]
    public int RowDelayMilliseconds { get; init; } = 100;
}

/// <summary>Changes the price of many products at once; continues after a pause with the product it had reached.</summary>
public sealed class MassEditJob(ProductCatalog catalog, TimeProvider clock) : JobDefinition<MassEditParameters>
{
    public override string DisplayName => "Mass edit: prices";

    public override async ValueTask ExecuteAsync(IJobContext<MassEditParameters> context)
    {
        var p = context.Parameters;
        var products = catalog.Snapshot()
            .Where(x => string.IsNullOrEmpty(p.Category) || string.Equals(x.Category, p.Category, StringComparison.OrdinalIgnoreCase))
            .ToList();
        var step = context.BeginStep("edit prices");
        var edited = 0;
        for (var i = context.GetCheckpoint<int>(); i < products.Count; i++)
        {
            step.AddRead();
            var sku = products[i].Sku;
            var changed = catalog.Update(sku, product => product.Price = Math.Round(product.Price * (1 + (p.PriceChangePercent / 100m)), 2));
            if (changed)
            {
                step.AddWritten();
                edited++;
            }
            else
            {
                await context.RejectAsync(i + 1, sku, "the product was removed from the catalog meanwhile");
                step.AddSkipped();
            }

            context.SetCheckpoint(i + 1);
            context.ReportProgress(i + 1, products.Count);
            await Task.Delay(TimeSpan.FromMilliseconds(p.RowDelayMilliseconds), clock, context.CancellationToken);
            await context.SafePointAsync();
        }

        step.Complete();
        context.Logger.LogInformation("Changed the price of {Count} products by {Percent} % (in this run)", edited, p.PriceChangePercent);
    }
}
