using System.Text.Json.Serialization;

namespace Runtara.Management;

/// <summary>Bucket width of <see cref="RuntaraManagementClient.GetTenantMetricsAsync"/> (UTC hours or days).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MetricsGranularity>))]
public enum MetricsGranularity
{
    /// <summary>One bucket per UTC hour.</summary>
    Hourly,
    /// <summary>One bucket per UTC day.</summary>
    Daily,
}
