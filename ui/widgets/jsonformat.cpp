// SPDX-License-Identifier: MIT
#include "ui/widgets/jsonformat.h"

namespace redrive::ui::jsonformat {

QString indent(const QByteArray &json, int width)
{
    QByteArray out;
    out.reserve(json.size() * 2);
    int depth = 0;
    auto newline = [&out, &depth, width]() {
        out.append('\n');
        out.append(QByteArray(qsizetype(depth) * width, ' '));
    };
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json.at(i);
        switch (c) {
        case '"': {
            qsizetype end = i + 1;
            while (end < json.size() && json.at(end) != '"') {
                if (json.at(end) == '\\')
                    ++end;
                ++end;
            }
            out.append(json.constData() + i, std::min(end + 1, json.size()) - i);
            i = end;
            break;
        }
        case '{':
        case '[': {
            // Empty containers stay on one line.
            qsizetype next = i + 1;
            while (next < json.size() && QChar::isSpace(uchar(json.at(next))))
                ++next;
            if (next < json.size() && (json.at(next) == '}' || json.at(next) == ']')) {
                out.append(c);
                out.append(json.at(next));
                i = next;
                break;
            }
            out.append(c);
            ++depth;
            newline();
            break;
        }
        case '}':
        case ']':
            depth = std::max(0, depth - 1);
            newline();
            out.append(c);
            break;
        case ',':
            out.append(c);
            newline();
            break;
        case ':':
            out.append(": ");
            break;
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            break;
        default:
            out.append(c);
        }
    }
    return QString::fromUtf8(out);
}

} // namespace redrive::ui::jsonformat
