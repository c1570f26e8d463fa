namespace Aspire.Hosting;

/// <summary>The well-known ports of the Runtara protocols (pass null instead to let Aspire pick free ones).</summary>
public static class RuntaraPorts
{
    /// <summary>Instance protocol of the core.</summary>
    public const int Instance = 8001;

    /// <summary>Environment protocol of the environment.</summary>
    public const int Environment = 8002;

    /// <summary>Management protocol of the core.</summary>
    public const int Management = 8003;
}
