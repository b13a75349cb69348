#include "outbox/pdf.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>

namespace kiosk::outbox {

namespace {

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

struct PngInfo {
  std::uint32_t width = 0, height = 0;
  int colors = 1;
  Bytes idat;
};

PngInfo parse_png(const Bytes& png, size_t page_no) {
  static const std::uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  const std::string which = "Page " + std::to_string(page_no);
  if (png.size() < 8 || std::memcmp(png.data(), signature, 8) != 0)
    throw PageImageError(which + " is not a PNG image.");
  PngInfo info;
  size_t pos = 8;
  bool header = false, end = false;
  while (pos + 12 <= png.size() && !end) {
    const std::uint32_t length = read_be32(&png[pos]);
    if (length > png.size() - pos - 12) throw PageImageError(which + " is a damaged PNG image (chunk too long).");
    const std::string type(reinterpret_cast<const char*>(&png[pos + 4]), 4);
    const std::uint8_t* data = &png[pos + 8];
    if (type == "IHDR") {
      if (length != 13) throw PageImageError(which + " is a damaged PNG image.");
      info.width = read_be32(data);
      info.height = read_be32(data + 4);
      const int depth = data[8], color = data[9], interlace = data[12];
      if (depth != 8 || (color != 0 && color != 2) || interlace != 0)
        throw PageImageError(which + " must be an 8-bit grey or colour PNG without transparency or interlacing.");
      info.colors = color == 0 ? 1 : 3;
      header = true;
    } else if (type == "IDAT") {
      info.idat.insert(info.idat.end(), data, data + length);
    } else if (type == "IEND") {
      end = true;
    }
    pos += 12 + length;
  }
  if (!header || info.idat.empty() || info.width == 0 || info.height == 0)
    throw PageImageError(which + " is a damaged PNG image (no image data).");
  return info;
}

void append(Bytes& out, const std::string& s) {
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

Bytes pages_to_pdf(const std::vector<Bytes>& png_pages) {
  if (png_pages.empty()) return {};
  std::vector<PngInfo> images;
  for (size_t i = 0; i < png_pages.size(); ++i) images.push_back(parse_png(png_pages[i], i + 1));

  Bytes out;
  std::vector<size_t> offsets;  // object n at offsets[n-1]
  auto begin_object = [&](size_t number) {
    if (offsets.size() < number) offsets.resize(number);
    offsets[number - 1] = out.size();
    append(out, std::to_string(number) + " 0 obj\n");
  };
  append(out, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
  const size_t n = images.size();
  // Objects: 1 catalog, 2 pages, then per page i: 3+3i page, 4+3i image, 5+3i contents.
  begin_object(1);
  append(out, "<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
  begin_object(2);
  std::string kids;
  for (size_t i = 0; i < n; ++i) kids += std::to_string(3 + 3 * i) + " 0 R ";
  append(out, "<< /Type /Pages /Count " + std::to_string(n) + " /Kids [" + kids + "] >>\nendobj\n");
  const double page_w = 595.28, page_h = 841.89;
  for (size_t i = 0; i < n; ++i) {
    const auto& img = images[i];
    const size_t page = 3 + 3 * i, image = page + 1, contents = page + 2;
    begin_object(page);
    append(out, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Resources << /XObject << /Im0 " +
                    std::to_string(image) + " 0 R >> >> /Contents " + std::to_string(contents) + " 0 R >>\nendobj\n");
    begin_object(image);
    append(out, "<< /Type /XObject /Subtype /Image /Width " + std::to_string(img.width) + " /Height " +
                    std::to_string(img.height) + " /ColorSpace " + (img.colors == 1 ? "/DeviceGray" : "/DeviceRGB") +
                    " /BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors " +
                    std::to_string(img.colors) + " /BitsPerComponent 8 /Columns " + std::to_string(img.width) +
                    " >> /Length " + std::to_string(img.idat.size()) + " >>\nstream\n");
    out.insert(out.end(), img.idat.begin(), img.idat.end());
    append(out, "\nendstream\nendobj\n");
    const double scale = std::min(page_w / img.width, page_h / img.height);
    const double w = img.width * scale, h = img.height * scale;
    char draw[160];
    std::snprintf(draw, sizeof draw, "q %.2f 0 0 %.2f %.2f %.2f cm /Im0 Do Q\n", w, h, (page_w - w) / 2,
                  (page_h - h) / 2);
    begin_object(contents);
    append(out, "<< /Length " + std::to_string(std::strlen(draw)) + " >>\nstream\n" + draw + "endstream\nendobj\n");
  }
  const size_t xref = out.size();
  append(out, "xref\n0 " + std::to_string(offsets.size() + 1) + "\n0000000000 65535 f \n");
  for (size_t offset : offsets) {
    char line[24];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", offset);
    append(out, line);
  }
  append(out, "trailer\n<< /Size " + std::to_string(offsets.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
                  std::to_string(xref) + "\n%%EOF\n");
  return out;
}

namespace {
void put_be32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}
void put_chunk(Bytes& out, const char* type, const Bytes& data) {
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  const size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put_be32(out, static_cast<std::uint32_t>(crc32(0, &out[start], static_cast<uInt>(out.size() - start))));
}
}  // namespace

Bytes make_test_page_png(int width, int height, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes raw;
  raw.reserve(static_cast<size_t>(height) * (static_cast<size_t>(width) + 1));
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);  // filter: none
    const bool text_line = (y / 12) % 3 == 1 && y > height / 10 && y < height * 9 / 10;
    for (int x = 0; x < width; ++x) {
      const bool ink = text_line && x > width / 10 && x < width * 9 / 10 && (rng() % 5 == 0);
      raw.push_back(ink ? static_cast<std::uint8_t>(rng() % 80) : 255);
    }
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  Bytes compressed(size);
  compress2(compressed.data(), &size, raw.data(), static_cast<uLong>(raw.size()), 6);
  compressed.resize(size);
  Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  Bytes header;
  put_be32(header, static_cast<std::uint32_t>(width));
  put_be32(header, static_cast<std::uint32_t>(height));
  header.insert(header.end(), {8, 0, 0, 0, 0});
  put_chunk(png, "IHDR", header);
  put_chunk(png, "IDAT", compressed);
  put_chunk(png, "IEND", {});
  return png;
}

}  // namespace kiosk::outbox
