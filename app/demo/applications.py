"""Demo applications: citizens in every state of the chain 申报人 → 二级单位 → 一级单位 → 市学习办.

Data, not workflow: rows, their history and the units' 提交/上报 are written directly, as the chain would have
written them, with times inside the campaign's windows. Where the demo's own clerks (中关村街道, 建外街道, 海淀区,
朝阳区) have work, it is left undecided or unsubmitted; everything already submitted or reported lies with other
streets and districts, whose clerk accounts are created here so the history names real accounts.

One portrait and one short H.264 clip (640×360, with sound) are generated (Pillow, PyAV), checked by the portal's
own media checks, and stored once per application: every application owns its files, since replacing one deletes
the old one.
"""
import io
import random
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from werkzeug.security import generate_password_hash

from stdnum.cn import ric

from app import clock, roles, storage
from app.accounts import placeholder_email
from app.extensions import db
from app.demo import CLERK_NAMES
from app.demo.pictures import portrait
from app.identity import parse_id_number
from app.media.photo import check_photo
from app.media.video import check_video
from app.models import Account, Application, ApplicationEvent, Campaign, Stage, Unit, UnitSubmission
from app.models import ApplicationStatus as S
from app.phones import normalize_mobile

SEED = 2026

# ------------------------------------------------------------------ who applies where, in which state

# Per second-level unit (path of units.yaml): the states of its applications. 中关村/建外 have not submitted (their
# demo clerks decide and submit), 海淀区/朝阳区 have not reported (their demo clerks decide and report); the streets
# that have submitted and the districts that have reported are others.
PLAN: list[tuple[str | None, list[S]]] = [
    ("haidian/zhongguancun", [S.DRAFT, S.SUBMITTED, S.SUBMITTED, S.SUBMITTED, S.RETURNED,
                              S.L2_RECOMMENDED, S.L2_NOT_RECOMMENDED]),
    ("chaoyang/jianwai", [S.SUBMITTED, S.SUBMITTED, S.SUBMITTED, S.RETURNED, S.L2_RECOMMENDED,
                          S.L2_NOT_RECOMMENDED]),
    ("haidian/xueyuanlu", [S.L2_FORWARDED, S.L2_FORWARDED, S.L1_RECOMMENDED, S.L1_NOT_RECOMMENDED, S.L2_REJECTED]),
    ("haidian/haidianjiedao", [S.L2_FORWARDED]),
    ("chaoyang/sanlitun", [S.L2_FORWARDED, S.L2_FORWARDED, S.L1_RECOMMENDED, S.L2_REJECTED]),
    ("chaoyang/wangjing", [S.L2_FORWARDED, S.L1_NOT_RECOMMENDED]),
    # 东城区 and 西城区 have reported: 8 applications wait for 专家初审 (app/demo/experts.py sets up its panels).
    ("dongcheng/donghuamen", [S.REPORTED, S.REPORTED, S.L1_REJECTED, S.REPORTED]),
    ("dongcheng/jingshan", [S.REPORTED, S.L2_REJECTED, S.REPORTED]),
    ("xicheng/jinrongjie", [S.REPORTED, S.L1_REJECTED, S.REPORTED, S.REPORTED]),
    (None, [S.DRAFT]),  # a draft whose unit is not chosen yet
]
DEMO_CLERKS = {"haidian/zhongguancun": "l2-haidian-zhongguancun", "chaoyang/jianwai": "l2-chaoyang-jianwai",
               "haidian": "l1-haidian", "chaoyang": "l1-chaoyang"}
# One of the submitted ones was returned once and submitted again; one forwarded one was first 不推荐, then 推荐.
RESUBMITTED_INDEX = 2
CHANGED_MIND_INDEX = 13

PAST_L2 = {S.L2_FORWARDED, S.L2_REJECTED, S.L1_RECOMMENDED, S.L1_NOT_RECOMMENDED, S.REPORTED, S.L1_REJECTED}
L2_SAID_YES = {S.L2_RECOMMENDED, S.L2_FORWARDED, S.L1_RECOMMENDED, S.L1_NOT_RECOMMENDED, S.REPORTED, S.L1_REJECTED}
L1_DECIDED = {S.L1_RECOMMENDED, S.L1_NOT_RECOMMENDED, S.REPORTED, S.L1_REJECTED}
L1_SAID_YES = {S.L1_RECOMMENDED, S.REPORTED}
REPORTED_STATES = {S.REPORTED, S.L1_REJECTED}

# ------------------------------------------------------------------ the people


@dataclass(frozen=True)
class Person:
    name: str
    gender: str
    born: int  # year
    origin: str  # area code of the place of birth (first six digits of the ID number)
    work_unit: str
    position: str
    pursuit: str  # what this person learns, in their own words: "自学英语和计算机"
    feat: str  # one sentence of what came of it


# In PLAN's order; place of birth mostly Beijing (东城 110101, 西城 110102, 朝阳 110105, 海淀 110108), some not.
PEOPLE = [
    # 海淀区中关村街道
    Person("林晓雯", "female", 1996, "350102", "北京某互联网科技有限公司", "产品经理", "利用业余时间系统学习心理学",
           "已取得心理咨询相关培训结业证书，在社区开设了三期青年减压读书沙龙"),
    Person("王建国", "male", 1962, "110108", "中国科学院某研究所（退休）", "退休高级工程师", "退休后坚持学习短视频制作和科普写作",
           "制作的科普短视频累计播放逾十万次，撰写的科普文章被多家科普网站转载"),
    Person("李秀英", "female", 1958, "110108", "中关村第一小学（退休）", "退休教师", "年过六旬学习智能手机应用和网络课程",
           "编写了图文并茂的《老年人智能手机使用手册》，手把手教会社区二百余位老人使用健康码和网上挂号"),
    Person("张伟", "male", 1985, "130102", "北京某软件股份有限公司", "高级软件工程师", "坚持每天学习一小时，自学人工智能课程",
           "参与开发的社区助老小程序在街道推广使用，并在开源社区贡献了多个项目"),
    Person("刘芳", "female", 1979, "110108", "海淀区中关村街道某社区居委会", "社区工作者", "边工作边学习，参加社会工作专业自学考试",
           "先后取得本科学历和中级社会工作者职业资格，所在社区被评为学习型社区"),
    Person("陈立新", "male", 1970, "120103", "北京市海淀区某中学", "物理教师", "持续学习信息技术与教育教学的融合",
           "主持区级课题两项，开发的实验微课在全区共享，带领学生多次在青少年科技创新大赛中获奖"),
    Person("杨雪梅", "female", 1988, "110108", "北京某医院", "主管护师", "工作之余坚持学习老年护理与康复知识",
           "取得老年照护培训师资格，在社区开展健康讲座四十余场，受益居民一千余人次"),
    # 朝阳区建外街道
    Person("赵国庆", "male", 1965, "110105", "北京某出租汽车公司", "出租车驾驶员", "跑车间隙坚持学习英语口语和北京历史文化",
           "能用英语为外国乘客介绍北京的名胜古迹，被乘客称为“移动的城市名片”"),
    Person("王丽娟", "female", 1975, "110105", "朝阳区建外街道某社区卫生服务站", "社区医生", "坚持学习中医药适宜技术和全科医学新知",
           "取得全科医生转岗培训合格证书，为辖区慢病居民建立了健康档案和随访制度"),
    Person("周子健", "male", 1992, "320106", "北京某律师事务所", "律师", "坚持学习民法典及社区治理相关法律",
           "在街道开展普法讲座三十余场，为居民提供免费法律咨询三百余人次"),
    Person("吴晓燕", "female", 1983, "110105", "北京国贸某酒店", "客房部主管", "坚持学习日语、韩语等服务外语",
           "带出的服务团队多次获得外宾书面表扬，本人获评区级服务明星"),
    Person("黄海涛", "male", 1972, "310104", "朝阳区建外街道某社区", "楼门长、个体经营者", "跟着社区学校学习书法和传统文化",
           "作品在区书法展中获奖，每年春节为居民义务书写春联数百副"),
    Person("徐雅琴", "female", 1960, "110105", "北京某国有企业（退休）", "退休会计师", "退休后在老年大学学习摄影和数字影像处理",
           "拍摄的社区变迁系列照片被街道档案室收藏，并担任老年大学摄影班助教"),
    # 海淀区学院路街道
    Person("孙浩然", "male", 1998, "410105", "北京某大学", "在读博士研究生", "在科研之余坚持学习科学传播",
           "组建大学生科普志愿团队，走进社区和中小学开展科普活动六十余场"),
    Person("张敏", "female", 1980, "110108", "海淀区学院路街道某幼儿园", "园长", "坚持学习学前教育理论和家庭教育指导",
           "总结的家园共育做法在区内推广，撰写的论文在市级评比中获一等奖"),
    Person("马俊杰", "male", 1976, "120101", "北京某物业服务公司", "电工班长", "从初中学历起步，坚持学习电工和智能楼宇技术",
           "先后取得高级电工和智能楼宇管理员证书，带出徒弟二十余名"),
    Person("陈静", "female", 1990, "110108", "北京某出版社", "编辑", "坚持阅读和写作，系统学习古籍整理知识",
           "策划的传统文化普及读物获评优秀科普图书，并在社区长期主持读书会"),
    Person("高文斌", "male", 1955, "110108", "北京某高校（退休）", "退休副教授", "年逾七旬依然坚持学习新知识、新技术",
           "用网络平台为社区老年人开设线上文史讲堂，累计授课一百余讲"),
    # 海淀区海淀街道
    Person("周慧", "female", 1987, "110108", "海淀区某图书馆", "馆员", "坚持学习图书馆学和数字阅读推广",
           "策划的“亲子共读”活动覆盖辖区三十余个社区，服务家庭两千余户"),
    # 朝阳区三里屯街道
    Person("郭宏伟", "male", 1968, "110105", "北京某餐饮有限公司", "厨师长", "坚持学习营养学和西餐烹饪技艺",
           "取得公共营养师证书，编写的社区老年餐营养食谱在街道养老驿站使用"),
    Person("赵婷", "female", 1994, "110105", "三里屯某文化传播公司", "策展人", "坚持学习博物馆学和非遗保护知识",
           "策划的非遗进社区展览吸引居民五千余人次参观"),
    Person("何家豪", "male", 1982, "310101", "北京某银行支行", "客户经理", "坚持学习金融知识和防范电信诈骗知识",
           "在社区开展金融知识讲座五十余场，帮助居民识别和防范电信诈骗"),
    Person("孙丽华", "female", 1964, "110105", "朝阳区三里屯街道某社区", "社区志愿者（退休）", "退休后学习声乐、舞蹈和组织管理",
           "组建的社区合唱团多次在区级比赛中获奖，带动百余名居民参加文化活动"),
    # 朝阳区望京街道
    Person("罗成", "male", 1991, "510107", "望京某科技有限公司", "算法工程师", "坚持学习韩语和跨文化交流",
           "担任社区外籍居民服务志愿者，帮助外籍居民融入社区生活"),
    Person("胡春燕", "female", 1977, "110105", "朝阳区某小学", "语文教师", "坚持学习儿童文学和阅读指导",
           "指导学生阅读写作成果丰硕，个人出版儿童散文集一部"),
    # 东城区东华门街道
    Person("李志强", "male", 1974, "110101", "北京某老字号餐饮企业", "面点技师", "坚持钻研传统技艺，学习非遗传承与食品安全知识",
           "技艺被列入区级非物质文化遗产名录，带出徒弟三十余名"),
    Person("朱玉兰", "female", 1956, "110101", "东城区东华门街道某社区", "退休工人、社区志愿者", "退休后坚持学习历史文化讲解",
           "成为故宫周边胡同的义务讲解员，累计讲解六百余场"),
    Person("宋晓东", "male", 1986, "110101", "东城区某文化馆", "群众文化辅导员", "坚持学习京剧和群众文化组织",
           "组织的社区京剧票友社坚持活动十年，多次参加市级展演"),
    Person("王淑珍", "female", 1968, "110101", "东城区某社区卫生服务中心", "全科医生", "坚持学习中医养生和健康教育知识",
           "在社区开办健康大讲堂，累计授课一百二十余场，编印的健康手册发放三千余册"),
    # 东城区景山街道
    Person("郑淑芬", "female", 1966, "110101", "东城区景山街道某社区", "社区党委书记", "坚持学习社区治理和议事协商方法",
           "推动的胡同“小院议事厅”做法被市级媒体报道推广"),
    Person("刘洋", "male", 1995, "210102", "北京某快递服务公司", "快递员", "在派件之余坚持通过网络课程学习",
           "取得专科学历，并获评区级优秀快递员"),
    Person("孟繁星", "male", 1979, "110101", "东城区某中学", "历史教师", "坚持研读北京史和中轴线文化",
           "开发的“行走中轴线”研学课程被全区多所中小学采用，带领学生完成中轴线口述史采访五十余篇"),
    # 西城区金融街街道
    Person("杨振华", "male", 1961, "110102", "北京某金融机构（退休）", "退休经济师", "退休后坚持学习金融史和地方志",
           "编写的金融街街区史话成为街道社区教育教材"),
    Person("黄佳怡", "female", 1999, "110102", "北京某会计师事务所", "审计助理", "坚持业余学习，备考注册会计师",
           "已通过注册会计师专业阶段全部科目，并为社区居民义务讲解个税知识"),
    Person("钱文华", "female", 1972, "110102", "西城区某街道文化站", "文化站站长", "坚持学习群众文化组织和非遗保护知识",
           "组织的胡同文化节连续举办八届，带动辖区居民两千余人次参加"),
    Person("董立军", "male", 1966, "110102", "北京某建筑设计院", "高级建筑师", "坚持学习历史建筑保护与城市更新",
           "义务为社区老旧院落改造出谋划策，参与完成十余处院落的微更新设计"),
    # 未选单位的草稿
    Person("吴永明", "male", 1983, "110106", "北京某建筑工程有限公司", "项目经理", "坚持学习建筑信息模型（BIM）技术", ""),
]

OPENINGS = [
    "{name}同志{pursuit}，把学习当作一种生活方式。{years}年来，无论工作多忙，{he}都坚持每天抽出时间读书学习，"
    "做了厚厚的十余本学习笔记。",
    "作为一名{position}，{name}同志深知“学如逆水行舟，不进则退”。{years}年来，{he}{pursuit}，从未间断。",
    "{name}同志是{work_unit}的一名{position}。在同事和邻居眼中，{he}是一个“离不开书本的人”：{he}{pursuit}，"
    "一坚持就是{years}年。",
    "“活到老、学到老”是{name}同志的座右铭。{he}{pursuit}，把学到的知识用在工作和生活中，也带动身边的人一起学习。",
]
MOTIVES = [
    "{he}常说：“时代在发展，知识在更新，不学习就会落伍。”正是凭着这股劲头，{he}把点滴业余时间都用在了学习上。",
    "起初，{he}只是为了解决工作中遇到的难题而学习；渐渐地，学习成了{he}生活中不可缺少的一部分。",
    "面对家庭和工作的双重压力，{he}没有放弃学习，而是学会了挤时间：通勤路上听课，午休时读书，晚上整理笔记。",
    "{he}认为，学习不仅是为了提升自己，更是为了更好地服务他人、回报社会。",
]
PRACTICES = [
    "{he}充分利用“学习强国”、首都图书馆数字资源和各类在线课程平台，合理安排学习时间，年均学习时长超过三百小时。",
    "{he}积极参加街道社区学校、老年大学和各类公益讲座，先后系统学习了多门课程，结业成绩均为优秀。",
    "{he}坚持“读一本书、写一篇心得、讲一次分享”，每年读书四十余本，撰写读书心得五万余字。",
    "为了学得更扎实，{he}报名参加了成人继续教育，白天工作、晚上听课，周末还到图书馆查阅资料，克服了工学矛盾。",
    "{he}注重学用结合，把学习中遇到的问题带到实践中去解决，又把实践中的体会写成经验材料与同行交流。",
]
SHARINGS = [
    "{he}乐于把学到的知识分享给大家，在社区组建学习小组，定期开展交流活动，带动了一批居民加入终身学习的行列。",
    "在{he}的带动下，家人也养成了读书学习的好习惯，家庭被评为“书香家庭”。",
    "{he}主动担任社区教育志愿者，把学习成果转化为服务居民的本领，受到群众普遍好评。",
    "{he}还通过网络平台分享学习心得，吸引了许多年轻人和老年朋友一起学习、共同进步。",
]
CLOSINGS = [
    "{he}表示，将继续坚持学习，努力做学习型城市建设的参与者和推动者。",
    "{he}用自己的行动诠释了终身学习的意义，是身边群众学习的榜样。",
    "谈到今后的打算，{he}说：“学习没有终点，我会一直学下去，也希望带动更多的人爱上学习。”",
]

RETURN_REASONS = [
    "个人先进事迹中学习成果的时间和具体内容写得不够清楚，请补充近三年的学习经历和取得的成果后重新提交。",
    "工作单位请填写全称，个人先进事迹请补充能够证明学习成效的具体事例，修改后重新提交。",
]
L2_YES = [
    "该同志长期坚持学习，学习成效明显，事迹真实感人，在社区有较好的示范带动作用，同意推荐。",
    "经街道评审小组审议，该同志学习事迹突出，群众认可度高，同意推荐至区级评审。",
    "该同志学以致用、乐于分享，带动身边群众共同学习，符合评选条件，同意推荐。",
]
L2_NO = [
    "经评审小组审议，该同志事迹材料较为笼统，学习成效体现不足，本次不予推荐。",
    "该同志的学习经历主要为岗位培训，终身学习的示范带动作用体现不够，本次不予推荐，鼓励继续参评。",
]
L1_YES = [
    "经区学习型城市建设领导小组办公室审核，该同志事迹突出、材料齐全，同意推荐上报市学习办。",
    "该同志坚持终身学习，社会影响良好，经区级评审同意推荐。",
]
L1_NO = [
    "经区级评审综合比较，该同志事迹与其他推荐人选相比典型性稍弱，本次不予推荐。",
    "名额有限，经区级评审小组投票，本次不予推荐上报。",
]

MOBILE_PREFIXES = ["139", "138", "137", "136", "135", "186", "185", "158", "152", "150", "188", "187", "133", "189",
                   "180", "131", "132", "155", "176", "199"]
ROADS = {
    "haidian/zhongguancun": ["北京市海淀区中关村南路", "北京市海淀区科学院南路", "北京市海淀区知春路", "北京市海淀区中关村东路"],
    "haidian/xueyuanlu": ["北京市海淀区学院路", "北京市海淀区志新路", "北京市海淀区成府路"],
    "haidian/haidianjiedao": ["北京市海淀区苏州街", "北京市海淀区海淀大街"],
    "chaoyang/jianwai": ["北京市朝阳区建国门外大街", "北京市朝阳区永安里东街", "北京市朝阳区光华路"],
    "chaoyang/sanlitun": ["北京市朝阳区三里屯路", "北京市朝阳区工人体育场北路", "北京市朝阳区幸福二村"],
    "chaoyang/wangjing": ["北京市朝阳区望京西园", "北京市朝阳区阜通东大街"],
    "dongcheng/donghuamen": ["北京市东城区南池子大街", "北京市东城区王府井大街", "北京市东城区北池子大街"],
    "dongcheng/jingshan": ["北京市东城区景山东街", "北京市东城区地安门内大街"],
    "xicheng/jinrongjie": ["北京市西城区金融大街", "北京市西城区太平桥大街"],
    None: ["北京市丰台区方庄路"],
}

# ------------------------------------------------------------------ media


def portrait_jpeg(size=(300, 420)) -> bytes:
    """A 1-inch style colour portrait on white, as the portal stores it (checked and re-encoded by check_photo)."""
    image = portrait(size)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    verdict = check_photo(out.getvalue())
    if not verdict.ok:
        raise RuntimeError(f"demo portrait refused by check_photo: {verdict.message}")
    return verdict.stored


def video_mp4(directory: Path, seconds: int = 2, fps: int = 10, size=(640, 360)) -> tuple[bytes, int]:
    """A short H.264 MP4 at 640×360 (coloured frames with a figure) with a few notes of AAC sound, as the portal
    requires (声音、画面等要清晰), checked by check_video; returns (bytes, duration)."""
    import math
    from array import array
    from fractions import Fraction

    import av
    from PIL import Image, ImageDraw

    width, height = size
    rate, notes = 16000, (523.25, 587.33, 659.25, 783.99, 880.0)  # C D E G A, a quarter-second each, quietly
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".mp4", delete=False) as handle:
        path = Path(handle.name)
    try:
        with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as out:
            stream = out.add_stream("libx264", rate=fps, options={"preset": "veryfast"})
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            sound = out.add_stream("aac", rate=rate, layout="mono")
            for index in range(seconds * fps):
                frame = Image.new("RGB", size, (250, 244 - index * 3, 220))
                draw = ImageDraw.Draw(frame)
                x = width // 8 + index * (width * 3 // 4 - height // 4) // (seconds * fps)
                top, w = height // 5, height // 4
                draw.rectangle((x, top, x + w, height - height // 16), fill=(28, 52, 118))  # body
                draw.ellipse((x + w // 8, top // 5, x + w - w // 8, top + w // 8), fill=(236, 196, 166))  # head
                draw.rectangle((16, height - 36, width - 16, height - 22), fill=(200, 60, 40))  # a book shelf
                for packet in stream.encode(av.VideoFrame.from_image(frame)):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
            samples = sound.codec_context.frame_size or 1024
            for pts in range(0, seconds * rate, samples):
                count = min(samples, seconds * rate - pts)
                tone = [0.1 * math.sin(2 * math.pi * notes[(pts + i) * 4 // rate % len(notes)] * (pts + i) / rate)
                        for i in range(count)]
                audio = av.AudioFrame(format="fltp", layout="mono", samples=count)
                data = array("f", tone).tobytes()
                audio.planes[0].update(data + bytes(audio.planes[0].buffer_size - len(data)))
                audio.sample_rate, audio.pts, audio.time_base = rate, pts, Fraction(1, rate)
                for packet in sound.encode(audio):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
        verdict = check_video(path)
        if not verdict.ok or verdict.warning:
            raise RuntimeError(f"demo video refused or warned about: {verdict.message or verdict.warning}")
        return path.read_bytes(), round(verdict.duration_seconds or seconds)
    finally:
        path.unlink(missing_ok=True)


# ------------------------------------------------------------------ building blocks


def _id_number(rng: random.Random, person: Person, taken: set[str]) -> tuple[str, date]:
    while True:
        born = date(person.born, rng.randint(1, 12), rng.randint(1, 28))
        sequence = rng.randrange(0, 500) * 2 + (1 if person.gender == "male" else 0)
        body = f"{person.origin}{born:%Y%m%d}{sequence:03d}"
        number = body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check digit
        if number in taken:
            continue
        resident = parse_id_number(number, today=clock.now().date())  # raises if stdnum or the portal would refuse it
        assert resident.gender == person.gender and resident.birth_date == born
        taken.add(number)
        return number, born


def _mobile(rng: random.Random, taken: set[str]) -> str:
    while True:
        number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if number not in taken and normalize_mobile(number) == number:
            taken.add(number)
            return number


def _address(rng: random.Random, path: str | None) -> str:
    road = rng.choice(ROADS[path])
    court, building, entrance = rng.randint(1, 60), rng.randint(1, 12), rng.randint(1, 6)
    return f"{road}{court}号院{building}号楼{entrance}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}室"


def _deeds(index: int, person: Person, years: int) -> str:
    he = "他" if person.gender == "male" else "她"
    fields = dict(name=person.name, pursuit=person.pursuit, position=person.position, work_unit=person.work_unit,
                  years=years, he=he)
    parts = [
        OPENINGS[index % len(OPENINGS)],
        MOTIVES[(index // 2) % len(MOTIVES)],
        PRACTICES[index % len(PRACTICES)],
        PRACTICES[(index + 2) % len(PRACTICES)],
        f"{{he}}的努力取得了实实在在的成果：{person.feat}。" if person.feat else "",
        SHARINGS[index % len(SHARINGS)],
        CLOSINGS[index % len(CLOSINGS)],
    ]
    return "".join(part.format(**fields) for part in parts)


def _clerk(sm, hashed: str, path: str, by_path: dict[str, Unit], level: int) -> Account:
    """The demo's own clerk for the unit, or a clerk account created for it (named like the demo ones)."""
    username = DEMO_CLERKS.get(path) or ("l2-" if level == 2 else "l1-") + path.replace("/", "-")
    account = db.session.query(Account).filter_by(username=username).one_or_none()
    if account is None:
        unit = by_path[path]
        account = Account(username=username, first_name=CLERK_NAMES[path], last_name="", email=placeholder_email(username),
                          active=True, password=hashed, unit=unit,
                          roles=[sm.find_role(roles.L2_CLERK if level == 2 else roles.L1_CLERK)])
        db.session.add(account)
    return account


# ------------------------------------------------------------------ the loader


def load_applications(campaign: Campaign, by_path: dict[str, Unit], password: str) -> int:
    """Create the demo applications with their applicants' accounts, history, files and the units' 提交/上报;
    returns how many applications. The caller commits (a rollback removes the stored files again)."""
    sm = current_app.appbuilder.sm
    rng = random.Random(SEED)
    hashed = generate_password_hash(password)
    applicant_role = sm.find_role(roles.APPLICANT)
    apply_window, l2_start, l1_start = (campaign.window(Stage.APPLY), campaign.window(Stage.L2_REVIEW).starts_at,
                                        campaign.window(Stage.L1_REVIEW).starts_at)

    plan = [(path, status) for path, states in PLAN for status in states]
    assert len(plan) == len(PEOPLE), "one person per planned application"
    # Accounts first, flushed once, so that the history can name them by id.
    mobiles: set[str] = set()
    applicants = []
    for person in PEOPLE:
        mobile = _mobile(rng, mobiles)
        applicant = Account(username=mobile, first_name=person.name, last_name="", email=placeholder_email(mobile),
                            active=True, password=hashed, phone=mobile, roles=[applicant_role])
        db.session.add(applicant)
        applicants.append(applicant)
    street_clerks = {path: _clerk(sm, hashed, path, by_path, 2) for path, states in PLAN
                     if path and any(s != S.DRAFT for s in states)}
    district_clerks = {path.split("/")[0]: _clerk(sm, hashed, path.split("/")[0], by_path, 1)
                       for path, states in PLAN if path and any(s in L1_DECIDED for s in states)}
    db.session.flush()

    photo = portrait_jpeg()
    tmp = storage.root() / "tmp"
    tmp.mkdir(exist_ok=True)
    video, video_seconds = video_mp4(tmp)

    ids: set[str] = set()
    tallies: dict[str, dict] = {}  # unit path -> its UnitSubmission's numbers
    for index, ((path, status), person, applicant) in enumerate(zip(plan, PEOPLE, applicants)):
        id_number, born = _id_number(rng, person, ids)
        complete = status != S.DRAFT
        years = max(3, min(30, clock.now().year - person.born - 18 - index % 7))
        # Spread over the first 18 days of the 24-day 在线报名 window: room for a return and a resubmission.
        submitted_at = apply_window.starts_at + timedelta(days=index % 18, hours=8 + index % 12, minutes=7 * index % 60)
        application = Application(
            campaign=campaign, applicant=applicant, status=status.value, name=person.name, mobile=applicant.username,
            gender=person.gender, birth_date=born, id_number=id_number, work_unit=person.work_unit,
            position=person.position if complete or index % 2 else None, address=_address(rng, path),
            unit=by_path[path] if path else None, is_permanent_resident=True,
            deeds=_deeds(index, person, years) if complete else None, declaration_confirmed=complete,
            created_at=submitted_at - timedelta(days=2, hours=3),
        )
        application.updated_at = application.created_at
        db.session.add(application)
        if complete or path is not None:  # the draft with a unit has its photo already
            application.photo_file = storage.store_bytes(photo, "photo", "jpg")
            application.photo_original_name = f"{person.name}一寸照.jpg"
        if not complete:
            continue
        application.video_file = storage.store_bytes(video, "video", "mp4")
        application.video_original_name = f"{person.name}学习分享.mp4"
        application.video_size, application.video_duration = len(video), video_seconds

        street_clerk = street_clerks[path]
        district = path.split("/")[0]
        events = [(submitted_at, applicant, "submit", S.SUBMITTED, None)]
        if status == S.RETURNED or (status == S.SUBMITTED and index == RESUBMITTED_INDEX):
            returned_at = min(submitted_at + timedelta(days=2, hours=1), apply_window.ends_at - timedelta(days=2))
            events.append((returned_at, street_clerk, "return", S.RETURNED, RETURN_REASONS[index % 2]))
            if status == S.SUBMITTED:
                submitted_at = returned_at + timedelta(days=1, hours=2)
                events.append((submitted_at, applicant, "submit", S.SUBMITTED, None))
        if status not in (S.SUBMITTED, S.RETURNED):  # the street has decided
            decided_at = l2_start + timedelta(days=1 + index % 9, hours=9 + index % 8)
            if index == CHANGED_MIND_INDEX:
                assert status in L2_SAID_YES
                events.append((decided_at, street_clerk, "l2_reject", S.L2_NOT_RECOMMENDED, L2_NO[0]))
                decided_at += timedelta(days=1, hours=2)
            if status in L2_SAID_YES:
                events.append((decided_at, street_clerk, "l2_recommend", S.L2_RECOMMENDED, L2_YES[index % len(L2_YES)]))
            else:
                events.append((decided_at, street_clerk, "l2_reject", S.L2_NOT_RECOMMENDED, L2_NO[index % len(L2_NO)]))
        if status in PAST_L2:  # ... and submitted
            forwarded = status in L2_SAID_YES
            if path not in tallies:  # every street submits on its own day, after all its decisions
                at = l2_start + timedelta(days=12 + len(tallies) % 4, hours=9 + len(tallies), minutes=13)
                tallies[path] = dict(level=2, clerk=street_clerk, at=at, yes=0, no=0)
            tally = tallies[path]
            tally["yes" if forwarded else "no"] += 1
            events.append((tally["at"], street_clerk, "l2_submit", S.L2_FORWARDED if forwarded else S.L2_REJECTED,
                           None))
        if status in L1_DECIDED:
            district_clerk = district_clerks[district]
            decided_at = l1_start + timedelta(days=1 + index % 7, hours=9 + index % 8)
            yes = status in L1_SAID_YES
            events.append((decided_at, district_clerk, "l1_recommend" if yes else "l1_reject",
                           S.L1_RECOMMENDED if yes else S.L1_NOT_RECOMMENDED,
                           (L1_YES if yes else L1_NO)[index % 2]))
            if status in REPORTED_STATES:
                if district not in tallies:
                    at = l1_start + timedelta(days=10 + len(tallies) % 3, hours=15, minutes=len(tallies) * 4)
                    tallies[district] = dict(level=1, clerk=district_clerk, at=at, yes=0, no=0)
                tally = tallies[district]
                tally["yes" if yes else "no"] += 1
                events.append((tally["at"], district_clerk, "l1_report", S.REPORTED if yes else S.L1_REJECTED, None))

        source = S.DRAFT
        for at, actor, action, target, opinion in events:
            db.session.add(ApplicationEvent(
                application=application, at=at, actor_id=actor.id, actor_name=actor.username, unit_id=actor.unit_id,
                action=action, from_status=source.value, to_status=target.value, opinion=opinion,
            ))
            source = target
        assert source == status, (index, source, status)
        application.submitted_at = submitted_at
        application.updated_at = events[-1][0]

    for path, tally in tallies.items():
        clerk = tally["clerk"]
        db.session.add(UnitSubmission(campaign=campaign, unit_id=by_path[path].id, level=tally["level"], at=tally["at"],
                                      actor_id=clerk.id, actor_name=clerk.username, recommended=tally["yes"],
                                      not_recommended=tally["no"]))
    return len(plan)
