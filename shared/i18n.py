"""Interface text: Bahasa Indonesia is the source language, English the translation."""

from __future__ import annotations

LANGUAGES = ("id", "en")

EN: dict[str, str] = {
    # validation
    "Nama wajib diisi.": "Please enter your name.",
    "Nama terlalu panjang (paling banyak 100 huruf).": "The name is too long (at most 100 letters).",
    "Nama tidak boleh berisi kode atau tanda < > { }.": "The name must not contain code or the signs < > { }.",
    "Nama hanya boleh berisi huruf, spasi, titik, koma, tanda petik dan tanda hubung.":
        "A name may only contain letters, spaces, full stops, commas, apostrophes and hyphens.",
    "Nomor HP wajib diisi.": "Please enter your mobile number.",
    "Nomor HP tidak valid. Tulis nomor HP Indonesia, misalnya 0812 3456 7890.":
        "This is not a valid mobile number. Enter an Indonesian mobile number, such as 0812 3456 7890.",
    "Pilih jenis pengunjung.": "Choose who you are visiting for.",
    "Pilih partai politik Anda.": "Choose your political party.",
    "Pilih topik konsultasi.": "Choose a consultation topic.",
    "Tanda tangan wajib diisi.": "Please sign in the box.",
    "Tanda tangan tidak terbaca. Silakan tanda tangan ulang.": "The signature could not be read. Please sign again.",
    "Tanda tangan terlalu besar. Silakan hapus dan tanda tangan ulang.": "The signature is too large. Please clear it and sign again.",
    "Tanda tangan masih kosong. Silakan tanda tangan di kotak.": "The signature box is still empty. Please sign in the box.",
    "Persetujuan Anda diperlukan sebelum mengisi data.": "Your consent is needed before you fill in your details.",
    "Waktu persetujuan habis. Silakan mulai lagi.": "Your consent has expired. Please start again.",
    # kiosk and status page
    "Antrean Helpdesk": "Helpdesk queue",
    "Helpdesk Pendaftaran dan Verifikasi Partai Politik": "Political Party Registration and Verification Helpdesk",
    "Selamat datang": "Welcome",
    "Ambil nomor antrean untuk konsultasi dengan petugas helpdesk.": "Take a queue number to consult a helpdesk officer.",
    "Ambil nomor antrean": "Take a queue number",
    "Baca pemberitahuan data pribadi dan berikan persetujuan": "Read the personal data notice and give your consent",
    "Isi nama, nomor HP, keperluan, dan tanda tangan": "Enter your name, mobile number and purpose, and sign",
    "Ambil tiket dan tunggu nomor Anda dipanggil": "Take your ticket and wait for your number to be called",
    "Bahasa": "Language",
    "Pemberitahuan pelindungan data pribadi": "Personal data protection notice",
    "Versi pemberitahuan": "Notice version",
    'Dengan menekan "Saya setuju", Anda menyetujui pemrosesan data pribadi Anda seperti dijelaskan di atas.':
        'By pressing "I agree" you consent to the processing of your personal data as described above.',
    "Tidak setuju": "I do not agree",
    "Saya setuju": "I agree",
    "Jika tidak setuju, Anda tetap dapat dilayani: silakan hubungi petugas di meja helpdesk.":
        "If you do not agree you can still be served: please speak to an officer at the helpdesk.",
    "Mulai lagi": "Start again",
    "Isi data Anda": "Your details",
    "Nama lengkap": "Full name",
    "Sentuh untuk mengetik": "Touch to type",
    "Nomor HP": "Mobile number",
    "Anda datang sebagai": "You are visiting as",
    "Partai politik": "Political party",
    "Masyarakat umum": "Member of the public",
    "KPU kabupaten/kota": "KPU regency/city office",
    "Lainnya": "Other",
    "Partai lain": "Other party",
    "Topik konsultasi": "Consultation topic",
    "Saya membutuhkan layanan prioritas (penyandang disabilitas, lanjut usia, ibu hamil)":
        "I need priority service (disability, elderly, pregnant)",
    "Tanda tangan": "Signature",
    "Kotak tanda tangan": "Signature box",
    "Hapus tanda tangan": "Clear signature",
    "Batal": "Cancel",
    "Lanjut": "Next",
    "Periksa data Anda": "Check your details",
    "Layanan prioritas": "Priority service",
    "Ya": "Yes",
    "Tidak": "No",
    "Ubah data": "Change details",
    "Benar, ambil tiket": "Correct, take my ticket",
    "Nomor antrean Anda": "Your queue number",
    "Menunggu sebelum Anda": "Waiting before you",
    "orang": "people",
    "perkiraan": "about",
    "menit": "minutes",
    "Anda berikutnya. Silakan tunggu dipanggil.": "You are next. Please wait to be called.",
    "Pindai kode QR ini dengan HP Anda untuk melihat status antrean.": "Scan this QR code with your phone to follow your place in the queue.",
    "Tiket sudah dicetak. Silakan ambil di printer.": "Your ticket has been printed. Please take it from the printer.",
    "Tiket sedang dicetak...": "Printing your ticket...",
    "Printer sedang bermasalah; tiket akan dicetak sesaat lagi. Nomor di layar ini sudah berlaku: foto atau pindai kode QR-nya.":
        "The printer has a problem; your ticket will print shortly. The number on this screen is already valid: take a photo or scan its QR code.",
    "Selesai": "Done",
    "Kode QR status antrean": "QR code of your queue status",
    "Status antrean": "Queue status",
    "Status antrean helpdesk": "Helpdesk queue status",
    "Nomor antrean": "Queue number",
    "Menunggu": "Waiting",
    "orang sebelum Anda": "people before you",
    "Anda berikutnya": "You are next",
    "Dipanggil! Silakan menuju": "Called! Please go to",
    "Sedang dilayani di": "Being served at",
    "Selesai. Terima kasih atas kunjungan Anda.": "Done. Thank you for your visit.",
    "Tidak hadir saat dipanggil. Silakan hubungi petugas.": "You were not there when called. Please speak to an officer.",
    "Halaman ini diperbarui otomatis.": "This page updates by itself.",
    "Aktifkan suara dan getar saat dipanggil": "Turn on sound and vibration for when you are called",
    # waiting-room display
    "Layar antrean": "Queue display",
    "Dipanggil ke meja": "Called to the desks",
    "Panggilan terakhir": "Latest calls",
    "Belum ada panggilan": "No calls yet",
    "Menyambung ulang...": "Reconnecting...",
    "Sentuh layar untuk mengaktifkan suara": "Touch the screen to turn on sound",
    # staff screens
    "Dasbor Helpdesk": "Helpdesk dashboard",
    "Masuk": "Sign in",
    "Masuk petugas": "Staff sign-in",
    "Nama pengguna": "Username",
    "Kata sandi": "Password",
    "Keluar": "Sign out",
    "Kembali ke dasbor": "Back to the dashboard",
    "Pemberitahuan": "Notice",
    "Pilih meja": "Choose a desk",
    "Di meja mana Anda bertugas hari ini?": "Which desk are you working at today?",
    "Pindai tiket": "Scan a ticket",
    "Arahkan pemindai ke kode QR tiket": "Point the scanner at the ticket's QR code",
    "Pembaruan langsung aktif": "Live updates on",
    "Antrean menunggu": "Waiting",
    "Nomor": "Number",
    "Topik": "Topic",
    "Partai": "Party",
    "Nama": "Name",
    "Meja": "Desks",
    "Kosong": "Free",
    "Prioritas": "Priority",
    "Dipanggil": "Called",
    "Sedang dilayani": "In service",
    "Dipanggil, menunggu pengunjung datang": "Called, waiting for the visitor to come",
    "Belum ada pengunjung di meja ini.": "No visitor at this desk yet.",
    "Panggil": "Call",
    "Panggil berikutnya": "Call next",
    "Panggil ke meja saya": "Call to my desk",
    "Panggil ulang": "Call again",
    "Mulai layanan": "Start service",
    "Tidak hadir": "Absent",
    "Kembalikan ke antrean": "Back to the queue",
    "Pindahkan ke": "Move to",
    "Pindahkan": "Move",
    "Petugas": "Officer",
    "siapa pun di meja itu": "whoever is at that desk",
    "Petugas tidak ditemukan.": "Officer not found.",
    "Tiket tidak ditemukan.": "Ticket not found.",
    "Meja tidak ditemukan.": "Desk not found.",
    "Tiket {number} {state}.": "Ticket {number} {state}.",
    "Tiket {number} sudah di {desk}.": "Ticket {number} is already at {desk}.",
    "Akun dikunci karena terlalu banyak percobaan gagal. Coba lagi dalam {minutes} menit.":
        "The account is locked after too many failed attempts. Try again in {minutes} minutes.",
    "Akun dikunci {minutes} menit karena {failures} kali salah kata sandi.":
        "The account is locked for {minutes} minutes after {failures} wrong passwords.",
    "Terlalu banyak percobaan masuk dari perangkat ini. Coba lagi dalam {minutes} menit.":
        "Too many sign-in attempts from this device. Try again in {minutes} minutes.",
    "menunggu": "waiting",
    "prioritas": "priority",
    "di meja": "at desks",
    "selesai": "done",
    "tidak hadir": "absent",
    "Tidak ada pengunjung yang menunggu.": "Nobody is waiting.",
    "Kios tidak tersambung ke server. Isian Anda masih ada: sentuh tombolnya sekali lagi, atau minta bantuan petugas.":
        "The kiosk cannot reach the server. What you entered is still here: touch the button once more, or ask an officer.",
    "Printer tiket bermasalah": "The ticket printer has a problem",
    "tiket belum tercetak sejak": "tickets not printed since",
    "Periksa kertas, kabel dan daya printer; tiket tercetak sendiri setelah printer siap.":
        "Check the paper, cable and power; the tickets print by themselves once the printer is ready.",
    "Kesalahan terakhir:": "Last error:",
    "Tiket tidak dikenal. Pindai kode QR pada tiket pengunjung.": "Unknown ticket. Scan the QR code on the visitor's ticket.",
    "Pilih meja terlebih dahulu.": "Choose a desk first.",
    "Pilih meja yang tersedia.": "Choose one of the desks.",
    "Akun Anda tidak berhak membuka halaman ini.": "Your account may not open this page.",
    "Sesi formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.": "This form has expired. Reload the page and try again.",
    "Nama pengguna atau kata sandi salah.": "Wrong username or password.",
    "Kata sandi paling sedikit {count} karakter.": "The password needs at least {count} characters.",
    "Nama pengguna {username} sudah dipakai.": "The username {username} is taken.",
    "Nama pengguna 3-40 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung.":
        "A username has 3-40 characters: lower-case letters, digits, full stops, underscores or hyphens.",
    "Nama lengkap wajib diisi.": "Please enter the full name.",
    "Petugas helpdesk": "Helpdesk officer",
    "Supervisor": "Supervisor",
    "Administrator": "Administrator",
    "Petugas helpdesk provinsi": "Provincial helpdesk officer",
    "sedang menunggu": "is waiting",
    "sudah dipanggil": "has been called",
    "sedang dilayani": "is being served",
    "sudah selesai dilayani": "has been served",
    "ditandai tidak hadir": "is marked absent",
}


def translate(text: str, lang: str) -> str:
    """The text in the given language; Indonesian text is returned as it is."""
    return EN.get(text, text) if lang == "en" else text


class Refusal(ValueError):
    """A request that cannot be granted; its Indonesian message template is translated when shown."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template.format(**params))
        self.template, self.params = template, params

    def text(self, lang: str) -> str:
        """The message in the given language."""
        return translate(self.template, lang).format(**{k: translate(str(v), lang) for k, v in self.params.items()})
