namespace Runtara.Protocol.Security;

/// <summary>
/// Zero set-up for local runs: a server that generated its development certificate into
/// <c>&lt;data&gt;/tls</c> also generated its secrets into <c>&lt;data&gt;/security</c>. A client that pins
/// that certificate (and so can read the server's data directory) finds them next to it, unless
/// keys are configured. See docs/security.md.
/// </summary>
public static class DevelopmentSecrets
{
    /// <summary>The token key file of the server whose development certificate is <paramref name="pinnedCertificatePath"/>, when it exists.</summary>
    public static string? KeyFileNextTo(string? pinnedCertificatePath) => Sibling(pinnedCertificatePath, "runtara.keys");

    /// <summary>The generated API key of the environment whose development certificate is <paramref name="pinnedCertificatePath"/>, when it exists.</summary>
    public static string? ApiKeyNextTo(string? pinnedCertificatePath) =>
        Sibling(pinnedCertificatePath, "admin.apikey") is { } path ? File.ReadAllText(path).Trim() : null;

    private static string? Sibling(string? pinnedCertificatePath, string fileName)
    {
        if (string.IsNullOrWhiteSpace(pinnedCertificatePath))
        {
            return null;
        }

        var certificate = new FileInfo(pinnedCertificatePath);
        if (certificate.Name != DevelopmentCertificate.CertificateFileName || certificate.Directory is not { Name: "tls", Parent: { } data })
        {
            return null;
        }

        var path = Path.Combine(data.FullName, "security", fileName);
        return File.Exists(path) ? path : null;
    }
}
