using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Runtara.Protocol.Security;

namespace Runtara.Protocol.Tests.Infrastructure;

/// <summary>A temporary directory with a development certificate, removed on dispose.</summary>
public sealed class TestCertificates : IDisposable
{
    public TestCertificates()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("runtara-tests-").FullName;
        Certificate = DevelopmentCertificate.GetOrCreate(Directory);
    }

    public string Directory { get; }

    public X509Certificate2 Certificate { get; }

    public string PinnedPath => DevelopmentCertificate.CertificatePath(Directory);

    public ClientTlsOptions PinnedTls() => new() { PinnedCertificatePath = PinnedPath };

    /// <summary>Writes a CA and a server certificate signed by it; returns (CA PEM path, server cert with key).</summary>
    public (string CaPath, X509Certificate2 Server) CreateCaSignedServerCertificate(string name)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN=Runtara Test CA {name}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(12), [1, 2, 3, 4]);
        using var withKey = signed.CopyWithPrivateKey(serverKey);
        var server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);

        var caPath = Path.Combine(Directory, $"ca-{name}.crt");
        File.WriteAllText(caPath, ca.ExportCertificatePem());
        return (caPath, server);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
