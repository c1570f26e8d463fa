using System.Globalization;
using System.Net;

namespace Runtara.Protocol.Rpc;

/// <summary>A parsed server address.</summary>
public sealed record RpcAddress(string Host, int Port)
{
    /// <summary>The endpoint to connect to: an IP endpoint for literals, a DNS endpoint for names.</summary>
    public EndPoint EndPoint => IPAddress.TryParse(Host, out var ip) ? new IPEndPoint(ip, Port) : new DnsEndPoint(Host, Port);

    /// <summary>The TLS name to verify by default: the host name, or <c>localhost</c> for IP literals.</summary>
    public string DefaultServerName => IPAddress.TryParse(Host, out _) ? "localhost" : Host;

    /// <summary>Parses <c>host:port</c>, <c>[v6]:port</c> or <c>scheme://host:port[/]</c>.</summary>
    public static RpcAddress Parse(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var text = address.Trim();
        if (text.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Port <= 0)
            {
                throw new FormatException($"'{address}' is not a valid server address (expected scheme://host:port).");
            }

            return new RpcAddress(uri.IdnHost.Trim('[', ']'), uri.Port);
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            throw new FormatException($"'{address}' is not a valid server address (expected host:port).");
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            throw new FormatException($"'{address}' is not a valid server address (write IPv6 addresses as [addr]:port).");
        }

        return new RpcAddress(host, port);
    }

    /// <summary>The address as <c>host:port</c>, with an IPv6 host in brackets (<c>[::1]:8001</c>); <see cref="Parse"/> reads it back.</summary>
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
