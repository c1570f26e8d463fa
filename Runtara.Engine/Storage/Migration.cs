namespace Runtara.Engine.Storage;

/// <summary>One versioned schema step. Versions are applied in order, each once, recorded in <c>schema_migrations</c>.</summary>
internal sealed record Migration(int Version, string Name, string Sql);
