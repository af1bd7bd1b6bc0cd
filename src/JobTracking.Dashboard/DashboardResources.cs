using System.Resources;
using Microsoft.Extensions.Localization;

[assembly: NeutralResourcesLanguage("en")]

// The texts live in Resources/DashboardResources.resx (English, the default) and Resources/DashboardResources.fr.resx,
// and are found there whatever ResourcesPath a host gives AddLocalization for its own resources.
[assembly: ResourceLocation("Resources")]
[assembly: RootNamespace("JobTracking.Dashboard")]

namespace JobTracking.Dashboard;

/// <summary>Names the dashboard's texts for <see cref="IStringLocalizer{T}"/>: <c>Resources/DashboardResources.resx</c> and its translations.</summary>
internal sealed class DashboardResources;
