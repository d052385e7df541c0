"""The page at /api/v1/: what the API offers, with examples, Vietnamese first, then English.

A static page with no script (FastAPI's /docs loads its scripts from a CDN, which a
government network may block); the machine-readable description is /api/v1/openapi.json."""

HELP_HTML = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API dữ liệu mở / Open data API</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 0 auto; padding: 1rem;
       line-height: 1.5; color: #1a1a1a; }
code, pre { background: #f2f2f2; border-radius: 4px; }
pre { padding: .6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
.en { color: #444; }
a { color: #0b5394; }
</style>
</head>
<body>
<h1>API dữ liệu mở <span class="en" lang="en">/ Open data API</span></h1>
<p>API chỉ đọc trên dữ liệu đã công bố của cổng: phiên bản hiện hành, hoặc bất kỳ phiên bản
nào trước đó theo mã phiên bản. Kết quả dạng JSON hoặc CSV. Mô tả máy đọc được (OpenAPI):
<a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
<p class="en" lang="en">A read-only API over the portal's published data: the current version,
or any earlier version by its id. Results as JSON or CSV. Machine-readable description
(OpenAPI): <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>

<h2>Địa chỉ <span class="en" lang="en">/ Endpoints</span></h2>
<table>
<tr><th>GET</th><th>Nội dung <span class="en" lang="en">/ What</span></th></tr>
<tr><td><a href="/api/v1/datasets"><code>/api/v1/datasets</code></a></td>
<td>Danh sách bộ dữ liệu của phiên bản hiện hành. <span class="en" lang="en">The current
version's datasets.</span></td></tr>
<tr><td><code>/api/v1/datasets/{dataset_id}</code></td>
<td>Mô tả, các cột và kiểu, tệp tải về. <span class="en" lang="en">Description, columns and
their types, downloads.</span></td></tr>
<tr><td><code>/api/v1/datasets/{dataset_id}/rows</code></td>
<td>Các dòng: lọc, sắp xếp, phân trang, chọn cột, tìm kiếm. <span class="en" lang="en">Rows:
filter, sort, page, choose columns, search.</span></td></tr>
<tr><td><a href="/api/v1/versions"><code>/api/v1/versions</code></a></td>
<td>Các phiên bản đã công bố, mới nhất trước. <span class="en" lang="en">Published versions,
newest first.</span></td></tr>
<tr><td><code>/api/v1/versions/{version_id}/datasets/...</code></td>
<td>Như trên, cho một phiên bản cụ thể. <span class="en" lang="en">The same, for one
version.</span></td></tr>
</table>

<h2>Tham số của <code>/rows</code> <span class="en" lang="en">/ Parameters of
<code>/rows</code></span></h2>
<table>
<tr><th>Tham số <span class="en" lang="en">/ Parameter</span></th><th>Ý nghĩa <span
class="en" lang="en">/ Meaning</span></th></tr>
<tr><td><code>&lt;cột&gt;=&lt;giá trị&gt;</code></td><td>Lọc theo giá trị của cột; lặp lại
để lấy "một trong các giá trị"; để trống để lấy ô trống. Số nguyên, số thập phân có dấu
chấm, ngày dạng YYYY-MM-DD, true/false. <span class="en" lang="en">Filter on a column's
value; repeat for "any of"; empty matches empty cells. Whole numbers, numbers with a decimal
point, dates as YYYY-MM-DD, true/false.</span></td></tr>
<tr><td><code>_sort=cột</code>, <code>_sort=-cột</code></td><td>Sắp xếp tăng / giảm dần
(nhiều cột: <code>a,-b</code>); ô trống xếp cuối. <span class="en" lang="en">Sort ascending /
descending (several: <code>a,-b</code>); empty cells last.</span></td></tr>
<tr><td><code>_size=100</code></td><td>Số dòng mỗi trang (1–10000). <span class="en"
lang="en">Rows per page (1–10000).</span></td></tr>
<tr><td><code>_cursor=…</code></td><td>Trang tiếp theo: giá trị <code>next_cursor</code> của
trang trước (hoặc đi theo liên kết <code>next</code>). Giữ nguyên bộ lọc, <code>_sort</code>
và <code>_q</code>. <span class="en" lang="en">Next page: the previous page's
<code>next_cursor</code> (or follow its <code>next</code> link). Keep the filters,
<code>_sort</code> and <code>_q</code>.</span></td></tr>
<tr><td><code>_columns=a,b</code></td><td>Chỉ trả các cột này. <span class="en"
lang="en">Return only these columns.</span></td></tr>
<tr><td><code>_q=ha noi</code></td><td>Tìm trong các cột chữ, không phân biệt hoa thường và
dấu (đ = d): "ha noi" tìm được "Hà Nội". <span class="en" lang="en">Search the text
columns ignoring case and diacritics (đ = d): "ha noi" finds "Hà Nội".</span></td></tr>
<tr><td><code>_format=csv</code></td><td>CSV (UTF-8 có BOM, mở được bằng Excel); mặc định
JSON. <span class="en" lang="en">CSV (UTF-8 with BOM, opens in Excel); JSON by
default.</span></td></tr>
<tr><td><code>_count=true</code></td><td>Kèm tổng số dòng khớp (<code>total</code>). <span
class="en" lang="en">Also return the number of matching rows (<code>total</code>).</span></td></tr>
</table>

<h2>Ví dụ <span class="en" lang="en">/ Examples</span></h2>
<pre><a href="/api/v1/datasets/admin_procedure_dossiers/rows?channel=online&amp;_sort=-received_date&amp;_size=20">/api/v1/datasets/admin_procedure_dossiers/rows?channel=online&amp;_sort=-received_date&amp;_size=20</a></pre>
<pre><a href="/api/v1/datasets/land_registration_payments/rows?_q=dong%20da&amp;_columns=dossier_id,ward_name,amount_vnd">/api/v1/datasets/land_registration_payments/rows?_q=dong%20da&amp;_columns=dossier_id,ward_name,amount_vnd</a></pre>
<pre><a href="/api/v1/datasets/dossier_indicators/rows?_format=csv">/api/v1/datasets/dossier_indicators/rows?_format=csv</a></pre>
<pre>curl 'http://127.0.0.1:8000/api/v1/datasets/etax_mobile_accounts/rows?period=2022-07&amp;_count=true'</pre>

<h2>Lỗi <span class="en" lang="en">/ Errors</span></h2>
<p>Lỗi trả về JSON <code>{"error": {"status", "message_vi", "message_en", "parameter",
"value"}}</code> với mã 400 (tham số sai) hoặc 404 (không có bộ dữ liệu / phiên bản).
<span class="en" lang="en">Errors come as JSON with status 400 (a wrong parameter) or 404 (no
such dataset / version).</span></p>
<p><a href="/">Cổng dữ liệu <span class="en" lang="en">/ Portal</span></a></p>
</body>
</html>
"""
