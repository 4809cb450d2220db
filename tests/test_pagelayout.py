"""Where the story is in a page copy: prose and chrome by shape (generator/pagelayout.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from generator import pagelayout
from generator.seeds import parse_seed

PROSE = (
    "قال المتحدث باسم الوزارة إن أعمال الصيانة ستستمر ثلاثة أسابيع، وإن الطرق البديلة ستبقى مفتوحة "
    "أمام حركة السير طوال فترة العمل."
)


def test_prose_needs_sentences_not_just_length():
    assert pagelayout.is_prose(PROSE)
    # a long headline with one comma is not prose
    assert not pagelayout.is_prose(
        "Dans le Gers, les retenues collinaires à moitié vides au sortir de l’hiver"
    )
    assert not pagelayout.is_prose(
        "12:30 | 14:45 | 16:00 | 18:15 | 20:30 | 22:45 | 23:50 | 01:10 | 02:20 | 03:30"
    )


def test_chrome_by_shape():
    lines = [
        "الرئيسية",
        "محلي",
        "اقتصاد",
        "رياضة",  # a menu: a run of very short lines
        "10:20 ص | انطلاق بطولة المدارس لكرة اليد",  # a ticker item with its time
        "استان‌ها > خراسان رضوی",  # a breadcrumb
        "Close Menu",  # another script than the page's
        "وزارة البيئة تطلق حملة لتنظيف الشواطئ الشمالية",  # a headline: not chrome
        PROSE,
    ]
    flags = pagelayout.chrome_flags(lines)
    assert flags == [True, True, True, True, True, True, True, False, False]
    assert pagelayout.after_last_menu(lines, tuple(flags), len(lines)) == 4


def test_captions_and_credits():
    assert pagelayout.is_caption("جانب من أعمال الحفر في البلدة القديمة بنابلس (أرشيف)")
    assert pagelayout.is_caption("Des pêcheurs sur le port de Nouadhibou (image d'illustration). © RFI")
    assert pagelayout.is_caption("Image Credit: Supplied")
    assert not pagelayout.is_caption("وقال إن الحملة ستستمر أسبوعين (كونا).")  # a sentence, then its source
    assert not pagelayout.is_caption(PROSE)


def test_the_story_run_skips_a_most_read_block_after_it():
    lines = ["عنوان الخبر هنا في سطر واحد", PROSE, PROSE + " ثانياً.", "الأكثر قراءة"]
    lines += ["خبر آخر عن الطقس", "خبر ثالث عن الرياضة", "خبر رابع عن الاقتصاد", PROSE + " بعيد."]
    layout = pagelayout.layout(lines)
    assert (layout.start, layout.end) == (1, 3)


def test_a_page_copy_with_chrome_around_the_story():
    page = "\n".join(
        [
            "تخطى إلى المحتوى الرئيسي",
            "الأحد 15 فبراير 2026",  # the page's "now": not the story's date
            "الرئيسية",
            "محلي",
            "دولي",
            "رياضة",
            "أمانة المدينة تبدأ صيانة الطرق الداخلية قبل موسم الأمطار",
            "السبت 07/01/2023 - 11:32 ص",
            "قالت أمانة المدينة إنها بدأت صيانة الطرق الداخلية في الأحياء القديمة قبل موسم الأمطار، "
            "وإن الأعمال تشمل إصلاح شبكات تصريف المياه.",
            PROSE,
            "مشاركة",
            "تويتر",
            "فيسبوك",
            "خبر آخر عن الطقس في المنطقة",
        ]
    )
    record = parse_seed(page, "seeds/page.txt")
    assert record.title == "أمانة المدينة تبدأ صيانة الطرق الداخلية قبل موسم الأمطار"
    assert record.date.isoformat() == "2023-01-07"
    assert len(record.paragraphs) == 2 and record.paragraphs[1] == PROSE


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=160), max_size=40))
def test_layout_of_any_lines_is_consistent(lines):
    layout = pagelayout.layout(lines)
    assert 0 <= layout.start <= layout.end <= len(lines) or layout.start == len(lines)
    assert len(layout.prose) == len(layout.chrome) == len(lines)
    if layout.found:
        assert layout.prose[layout.start] and layout.prose[layout.end - 1]


def test_the_publication_date_wins_over_the_update_whatever_the_order():
    page = "\n".join(
        [
            "الرئيسية",
            "محلي",
            "دولي",
            "رياضة",
            "بلدية المدينة تفتتح حديقة عامة جديدة في الحي الشرقي",
            "آخر تحديث: 13 تشرين الثاني 2024, 09:10",
            "نشر في: 12 تشرين الثاني 2024, 12:26",
            "افتتحت بلدية المدينة حديقة عامة جديدة في الحي الشرقي، وقالت إن الحديقة تضم ملاعب "
            "للأطفال ومسارات للمشي.",
            PROSE,
        ]
    )
    assert parse_seed(page, "seeds/park.txt").date.isoformat() == "2024-11-12"


def test_a_timestamp_glued_to_the_repeated_headline_dates_the_story():
    title = "بلدية المدينة تفتتح حديقة عامة جديدة"
    page = "\n".join(
        [
            "الرئيسية",
            "محلي",
            "دولي",
            "رياضة",
            title,
            title + "2024-11-12T12:26:00+03:00",
            PROSE,
            PROSE + " ثم.",
        ]
    )
    record = parse_seed(page, "seeds/glued.txt")
    assert record.title == title and record.date.isoformat() == "2024-11-12"
    assert len(record.paragraphs) == 2


def test_a_box_the_page_closes_by_its_own_name_leaves_the_story():
    from generator.boilerplate import remove_boilerplate

    lines = [PROSE, "مطالب پیشنهادی", "چرا خشکسالی طولانی‌تر شده است؟", "پایان مطالب پیشنهادی", PROSE + " دو."]
    kept, dropped = remove_boilerplate(lines)
    assert kept == [PROSE, PROSE + " دو."] and len(dropped) == 3


def test_labelled_and_relative_dates():
    from generator.pagereader import _labelled_date, _relative_date
    import datetime as dt

    found = _labelled_date("صدر هذا المقال بالنسخة الورقية للشروق - تاريخ النشر : 2023/01/17")
    assert found.date == dt.date(2023, 1, 17)
    assert _labelled_date("تاريخ طويل من النشر في الصحف المحلية") is None
    now = dt.date(2024, 3, 11)
    assert _relative_date("منذ 2 يوم", now).date == dt.date(2024, 3, 9)
    assert _relative_date("3 hours ago", now).date == now
    assert _relative_date("منذ 2 يوم", None) is None  # no "now" on the page: no date
