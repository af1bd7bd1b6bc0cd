using System.ComponentModel.DataAnnotations;
using System.Globalization;
using JobTracking.WebSample.Catalog;

namespace JobTracking.WebSample.Jobs;

/// <summary>Parameters of <see cref="ProductExportJob"/>.</summary>
public sealed record ProductExportParameters
{
    /// <summary>Only products of this category, or every product when empty.</summary>
    public string? Category { get; init; }

    /// <summary>A pause after each product, so that the export can be followed in the dashboard.</summary>
    [Range(0, 5000)]
    public int RowDelayMilliseconds { get; init; } = 100;
}

/// <summary>Exports the catalog to a CSV file in the work folder's exports folder.</summary>
public sealed class ProductExportJob(ProductCatalog catalog, SampleFolders folders, TimeProvider clock) : JobDefinition<ProductExportParameters>
{
    public override string DisplayName => "Product export";

    public override async ValueTask ExecuteAsync(IJobContext<ProductExportParameters> context)
    {
        var products = catalog.Snapshot()
            .Where(p => string.IsNullOrEmpty(context.Parameters.Category) || string.Equals(p.Category, context.Parameters.Category, StringComparison.OrdinalIgnoreCase))
            .ToList();
        var step = context.BeginStep("write");
        var folder = Path.Combine(folders.WorkFolder, "exports");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, $"products-{context.JobId:N}.csv");
        await using (var writer = new StreamWriter(file))
        {
            await writer.WriteLineAsync("sku,name,brand,category,price,stock,completeness");
            for (var i = 0; i < products.Count; i++)
            {
                var p = products[i];
                step.AddRead();
                await writer.WriteLineAsync(string.Join(',',
                    CsvLine.Field(p.Sku), CsvLine.Field(p.Name), CsvLine.Field(p.Brand), CsvLine.Field(p.Category),
                    p.Price.ToString(CultureInfo.InvariantCulture), p.Stock.ToString(CultureInfo.InvariantCulture),
                    p.Completeness?.ToString(CultureInfo.InvariantCulture) ?? ""));
                step.AddWritten();
                context.ReportProgress(i + 1, products.Count);
                await Task.Delay(TimeSpan.FromMilliseconds(context.Parameters.RowDelayMilliseconds), clock, context.CancellationToken);
                await context.SafePointAsync();
            }
        }

        step.Complete();
        if (products.Count == 0)
        {
            context.Logger.LogWarning("The catalog has no product to export; run the product import first");
        }

        context.Logger.LogInformation("Exported {Count} products to {File}", products.Count, file);
    }
}
