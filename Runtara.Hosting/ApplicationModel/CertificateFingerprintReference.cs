using Runtara.Protocol.Security;

namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The SHA-256 fingerprint of a server's development certificate, read when a connection string is
/// resolved: unlike the certificate's path, it pins the certificate from a container or another machine.
/// The AppHost creates the certificate before the servers start (<see cref="EnsureCertificate"/>), so it is
/// known before the server has written it; the server then loads the same file. Before that (a model read
/// without starting the application) it is empty, which a client reads as "no fingerprint".
/// </summary>
internal sealed class CertificateFingerprintReference(IResource resource, Func<string> certificatePath) : IValueProvider, IManifestExpressionProvider
{
    /// <inheritdoc />
    public string ValueExpression => $"{{{resource.Name}.tls.sha256}}";

    /// <inheritdoc />
    public ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default)
    {
        var path = certificatePath();
        return ValueTask.FromResult<string?>(File.Exists(path) ? CertificateFingerprint.Sha256OfFile(path) : string.Empty);
    }

    /// <summary>Creates the development certificate at <paramref name="path"/> unless a valid one is there (what the server would do at start).</summary>
    public static void EnsureCertificate(string path) =>
        DevelopmentCertificate.GetOrCreate(Path.GetDirectoryName(path)!).Dispose();
}
