using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace ITwinAuth.Core;

/// <summary>Writes a request body as JSON for callers that walk their own objects (the cmdlet
/// layer walks PowerShell objects); the JSON library stays inside the core.</summary>
public sealed class JsonBodyWriter : IDisposable
{
    private readonly MemoryStream _buffer = new();
    private readonly Utf8JsonWriter _writer;

    public JsonBodyWriter() => _writer = new Utf8JsonWriter(_buffer);

    public void StartObject() => _writer.WriteStartObject();
    public void EndObject() => _writer.WriteEndObject();
    public void StartArray() => _writer.WriteStartArray();
    public void EndArray() => _writer.WriteEndArray();
    public void PropertyName(string name) => _writer.WritePropertyName(name);
    public void String(string value) => _writer.WriteStringValue(value);
    public void Boolean(bool value) => _writer.WriteBooleanValue(value);
    public void Null() => _writer.WriteNullValue();

    /// <summary>A number, given as any .NET numeric value (NaN and infinities are refused by the caller).</summary>
    public void Number(IFormattable value) =>
        _writer.WriteRawValue(value.ToString(null, CultureInfo.InvariantCulture), skipInputValidation: true);

    public override string ToString()
    {
        _writer.Flush();
        return Encoding.UTF8.GetString(_buffer.ToArray());
    }

    public void Dispose()
    {
        _writer.Dispose();
        _buffer.Dispose();
    }
}
