namespace Aspire.Hosting.ApplicationModel;

/// <summary>Conventions the services follow that the hosting side relies on.</summary>
internal static class RuntaraPaths
{
    /// <summary>Tenant of the AppHost's own calls unless configured.</summary>
    public const string DefaultTenant = "aspire";

    /// <summary>Where a server with no configured certificate keeps its development certificate (<c>&lt;data&gt;/tls</c>).</summary>
    public static string DevelopmentCertificate(string dataDirectory) =>
        global::Runtara.Protocol.Security.DevelopmentCertificate.CertificatePath(Path.Combine(dataDirectory, "tls"));
}
