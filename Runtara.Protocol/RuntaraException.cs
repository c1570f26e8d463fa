namespace Runtara;

/// <summary>
/// Root of every exception Runtara throws on purpose. <see cref="Code"/> is stable and maps to and
/// from <c>RpcError.code</c> on the wire, so callers match on type or code, never on message text.
/// </summary>
public abstract class RuntaraException : Exception
{
    protected RuntaraException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
    }

    /// <summary>The stable error code (e.g. <c>INSTANCE_NOT_FOUND</c>).</summary>
    public string Code { get; }
}
