"""Generate the synthetic `shop-faq` e-faq dataset (Brazilian-Portuguese e-commerce FAQs).

    python examples/data/make_shop_faq.py            # writes examples/data/shop-faq/{train,validation,test}.jsonl

Standard library only and fully deterministic: the same script always writes byte-identical files.

How the rows are built
----------------------
* A *family* is one FAQ intent: a canonical question template plus 4-6 paraphrase templates written by hand.
  Paraphrases deliberately share few words with the canonical question (other verbs, synonyms, colloquial
  register, "dá pra", "cadê", missing accents) so that matching them takes more than word overlap.
* Some families have a *slot* (payment method, delivery option, product category, return reason, order status,
  account field, ...). Each filler makes a different FAQ whose answer really depends on it ("Posso parcelar
  no boleto?" vs "Posso parcelar no cartão de crédito?"). Sibling rows of one family are near-identical in
  wording but different questions, which makes them the hardest `almost_similar` negatives.
* Every row: `sentence` (canonical question), `similar` (3-6 paraphrases, sampled from the family's
  templates), `almost_similar` (2-4 canonical questions of sibling rows / same-topic FAQs / a related
  topic) and `dissimilar` (2-4 canonical questions from unrelated topics). Negatives are always taken from
  the same split, so no text crosses splits.
* Splits are made **by family** (≈64/18/18 % of rows, per topic): validation and test intents never occur
  in train, so the evaluation measures generalisation to unseen questions, not to unseen paraphrases.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

SEED = 20240611
OUT = Path(__file__).resolve().parent / "shop-faq"
SPLIT_SHARE = {"train": 0.64, "validation": 0.18, "test": 0.18}

# Topics whose FAQs are "related but different" (source of almost_similar when a topic runs short).
RELATED = {
    "pagamento": ("cupons", "nota fiscal", "pedidos"),
    "entrega": ("rastreamento", "pedidos"),
    "rastreamento": ("entrega", "pedidos"),
    "pedidos": ("entrega", "rastreamento", "pagamento"),
    "trocas e devoluções": ("garantia", "pedidos"),
    "garantia": ("trocas e devoluções", "produtos"),
    "nota fiscal": ("pagamento", "pedidos"),
    "cupons": ("pagamento", "pedidos"),
    "conta": ("atendimento", "pedidos"),
    "produtos": ("garantia", "marketplace"),
    "marketplace": ("produtos", "pedidos", "trocas e devoluções"),
    "atendimento": ("conta", "pedidos"),
}


# --------------------------------------------------------------------------------------------- slot fillers
def _m(word: str) -> dict[str, str]:
    """Grammatical forms of a masculine noun phrase."""
    return {
        "c": word,
        "o": f"o {word}",
        "um": f"um {word}",
        "do": f"do {word}",
        "no": f"no {word}",
        "meu": f"meu {word}",
        "pro": f"pro {word}",
        "g": "o",
    }


def _f(word: str) -> dict[str, str]:
    """Grammatical forms of a feminine noun phrase."""
    return {
        "c": word,
        "o": f"a {word}",
        "um": f"uma {word}",
        "do": f"da {word}",
        "no": f"na {word}",
        "meu": f"minha {word}",
        "pro": f"pra {word}",
        "g": "a",
    }


PAYMENT = {
    "pix": dict(p="Pix", no="no Pix", com="com Pix", via="via Pix", o="o Pix", do="do Pix", p2="Pix"),
    "boleto": dict(
        p="boleto",
        no="no boleto",
        com="com boleto",
        via="via boleto",
        o="o boleto",
        do="do boleto",
        p2="boleto bancário",
    ),
    "credito": dict(
        p="cartão de crédito",
        no="no cartão de crédito",
        com="com cartão de crédito",
        via="via cartão de crédito",
        o="o cartão de crédito",
        do="do cartão de crédito",
        p2="crédito",
    ),
    "debito": dict(
        p="cartão de débito",
        no="no débito",
        com="com cartão de débito",
        via="via débito",
        o="o cartão de débito",
        do="do cartão de débito",
        p2="débito",
    ),
    "vale": dict(
        p="vale-presente",
        no="no vale-presente",
        com="com vale-presente",
        via="via vale-presente",
        o="o vale-presente",
        do="do vale-presente",
        p2="gift card",
    ),
    "paypal": dict(
        p="PayPal",
        no="no PayPal",
        com="com PayPal",
        via="via PayPal",
        o="o PayPal",
        do="do PayPal",
        p2="carteira do PayPal",
    ),
}

DELIVERY = {  # all feminine
    "expressa": dict(
        m="entrega expressa",
        a="a entrega expressa",
        na="na entrega expressa",
        da="da entrega expressa",
        m2="envio rápido",
    ),
    "agendada": dict(
        m="entrega agendada",
        a="a entrega agendada",
        na="na entrega agendada",
        da="da entrega agendada",
        m2="entrega com dia marcado",
    ),
    "economica": dict(
        m="entrega econômica",
        a="a entrega econômica",
        na="na entrega econômica",
        da="da entrega econômica",
        m2="frete mais barato",
    ),
    "loja": dict(
        m="retirada na loja",
        a="a retirada na loja",
        na="na retirada na loja",
        da="da retirada na loja",
        m2="buscar o pedido na loja",
    ),
    "locker": dict(
        m="retirada em armário inteligente",
        a="a retirada em armário inteligente",
        na="na retirada em armário inteligente",
        da="da retirada em armário inteligente",
        m2="pegar a encomenda num locker",
    ),
    "mesmo_dia": dict(
        m="entrega no mesmo dia",
        a="a entrega no mesmo dia",
        na="na entrega no mesmo dia",
        da="da entrega no mesmo dia",
        m2="receber no mesmo dia da compra",
    ),
}

REGION = {
    "sp": dict(em="na cidade de São Paulo", para="para a cidade de São Paulo", mor="na capital paulista"),
    "mg": dict(
        em="no interior de Minas Gerais",
        para="para o interior de Minas Gerais",
        mor="numa cidade do interior de Minas",
    ),
    "manaus": dict(em="em Manaus", para="para Manaus", mor="em Manaus, no Amazonas"),
    "recife": dict(em="em Recife", para="para Recife", mor="em Recife, Pernambuco"),
    "rural": dict(em="na zona rural", para="para a zona rural", mor="num sítio na zona rural"),
    "poa": dict(em="em Porto Alegre", para="para Porto Alegre", mor="em Porto Alegre"),
}

CATEGORY = {
    "celular": _m("celular"),
    "notebook": _m("notebook"),
    "tv": _f("TV"),
    "geladeira": _f("geladeira"),
    "fone": _m("fone de ouvido"),
    "cafeteira": _f("cafeteira"),
    "microondas": _m("micro-ondas"),
    "ar": _m("ar-condicionado"),
    "maquina": _f("máquina de lavar"),
    "camiseta": _f("camiseta"),
    "calca": _f("calça jeans"),
    "tenis": _m("tênis"),
    "vestido": _m("vestido"),
    "jaqueta": _f("jaqueta"),
    "sandalia": _f("sandália"),
    "sofa": _m("sofá"),
    "colchao": _m("colchão"),
    "guardaroupa": _m("guarda-roupa"),
    "mesa": _f("mesa de jantar"),
    "cama": _f("cama box"),
    "perfume": _m("perfume"),
    "fogao": _m("fogão"),
}
for _key, _inst in {
    "guardaroupa": "montagem",
    "ar": "instalação",
    "tv": "instalação",
    "cama": "montagem",
    "fogao": "instalação",
    "mesa": "montagem",
}.items():
    CATEGORY[_key] = {**CATEGORY[_key], "inst": _inst}

REASON = {
    "arrependimento": dict(cond="por arrependimento", cond2="mas me arrependi da compra", de="por arrependimento"),
    "defeito": dict(cond="com defeito", cond2="que veio com defeito", de="por defeito"),
    "tamanho": dict(cond="que não serviu", cond2="que ficou do tamanho errado", de="por tamanho"),
    "errado": dict(cond="diferente do que pedi", cond2="que não era o que eu pedi", de="por envio errado"),
    "avariado": dict(cond="que chegou danificado", cond2="que chegou quebrado", de="por avaria no transporte"),
}

STATUS = {
    s: dict(s=s)
    for s in (
        "aguardando pagamento",
        "em separação",
        "faturado",
        "em trânsito",
        "saiu para entrega",
        "aguardando retirada",
        "em análise",
    )
}

ACCOUNT_FIELD = {
    "email": dict(d="e-mail", o="o e-mail", meu="meu e-mail", g="o"),
    "telefone": dict(d="telefone", o="o telefone", meu="meu telefone", g="o"),
    "endereco": dict(d="endereço", o="o endereço", meu="meu endereço", g="o"),
    "nome": dict(d="nome", o="o nome", meu="meu nome", g="o"),
    "cpf": dict(d="CPF", o="o CPF", meu="meu CPF", g="o"),
    "nascimento": dict(d="data de nascimento", o="a data de nascimento", meu="minha data de nascimento", g="a"),
}

ORDER_STAGE = {
    "nao_pago": dict(em="ainda não foi pago", ef="ainda não foi paga", quando="antes de pagar"),
    "pago": dict(em="já foi pago", ef="já foi paga", quando="depois de pagar"),
    "enviado": dict(em="já foi enviado", ef="já foi despachada", quando="depois que saiu do depósito"),
}

SUPPORT_CHANNEL = {
    "telefone": dict(k="telefone", pelo="por telefone", no="no telefone", do="da central telefônica"),
    "whatsapp": dict(k="WhatsApp", pelo="pelo WhatsApp", no="no WhatsApp", do="do WhatsApp"),
    "chat": dict(k="chat", pelo="pelo chat do site", no="no chat", do="do chat online"),
    "email": dict(k="e-mail", pelo="por e-mail", no="no e-mail", do="do e-mail de suporte"),
}

MARKETING = {
    "email": dict(por="por e-mail", via="e-mail"),
    "sms": dict(por="por SMS", via="SMS"),
    "whatsapp": dict(por="pelo WhatsApp", via="WhatsApp"),
    "push": dict(por="nas notificações do aplicativo", via="notificação no celular"),
}

SALES_CHANNEL = {
    "whatsapp": dict(pelo="pelo WhatsApp", k="WhatsApp"),
    "telefone": dict(pelo="por telefone", k="telefone"),
    "app": dict(pelo="pelo aplicativo", k="aplicativo"),
    "instagram": dict(pelo="pelo Instagram", k="Instagram"),
}

CARRIER = {
    "correios": dict(t="Correios", pelos="pelos Correios", dos="dos Correios"),
    "transportadora": dict(t="transportadora", pelos="por transportadora", dos="da transportadora"),
    "motoboy": dict(t="motoboy", pelos="por motoboy", dos="do motoboy"),
}

COUPON_CHANNEL = {
    "app": dict(pelo="pelo aplicativo"),
    "site": dict(pelo="no site"),
    "loja": dict(pelo="na loja física"),
}

SLOTS = {
    "pag": PAYMENT,
    "mod": DELIVERY,
    "reg": REGION,
    "cat": CATEGORY,
    "mot": REASON,
    "st": STATUS,
    "dado": ACCOUNT_FIELD,
    "etapa": ORDER_STAGE,
    "canal": SUPPORT_CHANNEL,
    "mkt": MARKETING,
    "venda": SALES_CHANNEL,
    "transp": CARRIER,
    "cupom": COUPON_CHANNEL,
}

# ------------------------------------------------------------------------------------------------ families
# (topic, canonical template, paraphrase templates, slot, fillers). Templates use the filler's keys.
FAMILIES: list[tuple[str, str, tuple[str, ...], str | None, tuple[str, ...] | None]] = []


def faq(
    topic: str, question: str, *paraphrases: str, slot: str | None = None, use: tuple[str, ...] | None = None
) -> None:
    assert 4 <= len(paraphrases) <= 7, question
    FAMILIES.append((topic, question, paraphrases, slot, use))


# --- pagamento
faq(
    "pagamento",
    "Posso parcelar minha compra pagando {com}?",
    "Dá pra dividir o valor em várias vezes {no}?",
    "{p2} aceita pagamento em prestações?",
    "Tem como pagar em parcelas usando {o}?",
    "Vocês fazem parcelamento pra quem escolhe {p2}?",
    "compra parcelada {no} é possível?",
    slot="pag",
    use=("pix", "boleto", "credito", "debito", "vale"),
)
faq(
    "pagamento",
    "Quanto tempo leva para o pagamento {via} ser confirmado?",
    "Paguei {no}, em quanto tempo vocês aprovam?",
    "Qual o prazo de compensação {do}?",
    "Meu pedido pago {com} demora quanto pra ser liberado?",
    "Depois de pagar {com}, quando a compra aparece como aprovada?",
    "Quantas horas até reconhecerem meu pagamento {via}?",
    slot="pag",
    use=("pix", "boleto", "credito", "debito", "paypal"),
)
faq(
    "pagamento",
    "Por que meu pagamento {com} foi recusado?",
    "Tentei pagar {com} e deu erro, o que pode ser?",
    "A compra {no} foi negada, o que eu faço?",
    "Recebi aviso de transação não autorizada {no}",
    "{o} não passou na finalização do pedido, por quê?",
    "Motivos para a loja não aceitar {o} na hora de pagar",
    slot="pag",
    use=("credito", "debito", "pix", "paypal"),
)
faq(
    "pagamento",
    "Tem desconto para pagamento {via}?",
    "Pagando {com} o preço fica mais barato?",
    "{o} dá algum abatimento no valor?",
    "Existe preço especial pra quem paga {com}?",
    "Ganho desconto se escolher {p2}?",
    "Sai mais em conta fechar o pedido {com}?",
    slot="pag",
    use=("pix", "boleto", "credito"),
)
faq(
    "pagamento",
    "Como faço para pagar {com}?",
    "Qual o passo a passo do pagamento {via}?",
    "Escolhi {o} no checkout, e agora o que faço?",
    "Onde finalizo a compra usando {o}?",
    "Nunca paguei {com} aqui, como funciona?",
    "Me explica como concluir o pedido {com}",
    slot="pag",
    use=("pix", "boleto", "vale", "paypal"),
)
faq(
    "pagamento",
    "O código Pix expirou, o que eu faço?",
    "Não paguei a tempo e o QR code venceu, e agora?",
    "Como gero um novo QR code se o prazo acabou?",
    "Passou o tempo pra pagar o pix, meu pedido foi cancelado?",
    "o qr code nao vale mais, consigo pagar de outro jeito?",
    "Perdi o prazo do copia e cola, como faço?",
)
faq(
    "pagamento",
    "Meu boleto venceu, posso pagar mesmo assim?",
    "Esqueci de pagar o boleto no prazo, ainda dá?",
    "O boleto passou da data, o pedido ainda vale?",
    "Perdi a data de vencimento do boleto, e agora?",
    "Dá pra pagar boleto atrasado ou preciso refazer a compra?",
    "o banco não aceita mais meu boleto porque venceu",
)
faq(
    "pagamento",
    "Como tiro a segunda via do boleto?",
    "Perdi o boleto, onde imprimo de novo?",
    "Onde consigo gerar outra cópia do boleto bancário?",
    "Não achei o PDF do boleto, como baixo novamente?",
    "Tem como reenviar o boleto pro meu e-mail?",
    "Apaguei o boleto sem querer, consigo recuperar?",
)
faq(
    "pagamento",
    "Posso pagar um pedido com dois cartões diferentes?",
    "Dá para dividir o valor entre dois cartões de crédito?",
    "Consigo usar mais de um cartão na mesma compra?",
    "É possível pagar metade em um cartão e metade em outro?",
    "aceitam pagamento com 2 cartões?",
    "Tem como combinar cartões para fechar o pedido?",
)
faq(
    "pagamento",
    "É seguro deixar meu cartão salvo no site?",
    "Vocês guardam os dados do meu cartão com segurança?",
    "Tem risco de manter o cartão cadastrado na conta?",
    "Minhas informações de pagamento ficam protegidas?",
    "Posso confiar em deixar o cartão gravado pras próximas compras?",
)
faq(
    "pagamento",
    "Fui cobrado duas vezes pela mesma compra, o que faço?",
    "Apareceram duas cobranças iguais na fatura",
    "O valor do pedido foi debitado em dobro",
    "Paguei uma vez mas cobraram duas, como resolvo?",
    "cobrança duplicada no cartão, como peço o dinheiro de volta?",
    "Meu banco mostra o mesmo pedido lançado duas vezes",
)
faq(
    "pagamento",
    "Quais formas de pagamento vocês aceitam?",
    "Como posso pagar minhas compras aqui?",
    "Que meios de pagamento a loja oferece?",
    "Vocês trabalham com quais opções pra pagar?",
    "Dá pra pagar de que jeitos no site?",
    "Lista de métodos de pagamento disponíveis",
)
faq(
    "pagamento",
    "Posso usar o cartão de outra pessoa para comprar?",
    "Meu pai pode pagar meu pedido com o cartão dele?",
    "O titular do cartão precisa ser o dono da conta?",
    "Dá pra finalizar a compra com cartão de terceiro?",
    "Aceitam cartão em nome de outra pessoa?",
)
faq(
    "pagamento",
    "O pedido foi cancelado, mas o valor continua reservado no meu cartão",
    "Cancelaram a compra e o limite do cartão ainda não voltou",
    "Quando libera o limite que ficou preso por um pedido cancelado?",
    "A fatura ainda mostra a compra que foi cancelada, é normal?",
    "meu limite continua bloqueado mesmo sem pedido, o que houve?",
    "Pedido cancelado e o banco ainda segura o dinheiro, por quê?",
)

# --- entrega
faq(
    "entrega",
    "Qual é o prazo da {m}?",
    "Escolhendo {a}, quanto tempo vou esperar?",
    "Quanto tempo demora {a}?",
    "{m} leva quantos dias úteis?",
    "Qual a previsão pra receber usando {a}?",
    "se eu optar por {m2}, quantos dias leva?",
    slot="mod",
    use=("expressa", "agendada", "economica", "loja", "locker", "mesmo_dia"),
)
faq(
    "entrega",
    "Quanto custa a {m}?",
    "Qual o valor do frete {na}?",
    "Tem taxa extra para {m}?",
    "Quanto a mais eu pago se escolher {a}?",
    "{m} é grátis ou é cobrada?",
    "quanto fica a opção de {m2}?",
    slot="mod",
    use=("expressa", "agendada", "locker", "mesmo_dia"),
)
faq(
    "entrega",
    "A {m} está disponível para o meu CEP?",
    "Como sei se meu endereço é atendido pel{a}?",
    "{m} funciona na minha cidade?",
    "Por que não aparece a opção de {m2} pra mim?",
    "Minha região tem {m}?",
    "onde consulto se o meu bairro tem {m}?",
    slot="mod",
    use=("expressa", "agendada", "loja", "mesmo_dia"),
)
faq(
    "entrega",
    "Qual o prazo de entrega {para}?",
    "Quantos dias demora pra chegar um pedido {em}?",
    "Moro {mor}, quando recebo minhas compras?",
    "Em quanto tempo uma encomenda chega {em}?",
    "Pedidos enviados {para} levam quantos dias?",
    "Previsão de chegada de compra {para}",
    slot="reg",
)
faq(
    "entrega",
    "Quanto custa o frete {para}?",
    "Qual o valor da entrega {em}?",
    "Moro {mor}, o frete sai caro?",
    "Quanto vou pagar de envio {para}?",
    "Vocês cobram taxa maior para mandar {para}?",
    slot="reg",
    use=("manaus", "recife", "rural", "poa"),
)
faq(
    "entrega",
    "Como funciona o frete grátis?",
    "Quais são as regras pra não pagar a entrega?",
    "A partir de quanto o envio sai de graça?",
    "Todo pedido tem frete gratuito?",
    "Qual o valor mínimo pra ganhar frete zero?",
    "Quando eu fico isento da taxa de entrega?",
)
faq(
    "entrega",
    "Vocês entregam aos sábados e domingos?",
    "A transportadora faz entrega no fim de semana?",
    "Meu pedido pode chegar num sábado?",
    "Tem entrega em domingo ou feriado?",
    "Entregam fora dos dias úteis?",
)
faq(
    "entrega",
    "O que acontece se não tiver ninguém em casa na hora da entrega?",
    "Eu não estava quando o entregador passou, e agora?",
    "Perdi a entrega porque eu tava fora, vão tentar de novo?",
    "Quantas tentativas a transportadora faz antes de devolver?",
    "O carteiro veio e não tinha ninguém, o que faço?",
    "ninguém pra receber o pacote, ele volta pra loja?",
)
faq(
    "entrega",
    "Meu pedido chegou incompleto, faltando itens",
    "Recebi a caixa mas veio só parte do que comprei",
    "Está faltando um produto na minha encomenda",
    "Comprei três coisas e só chegaram duas",
    "Veio menos item do que eu pedi, o que fazer?",
    "o pacote chegou sem um dos produtos",
)
faq(
    "entrega",
    "Por que meu pedido foi dividido em várias entregas?",
    "Os produtos da mesma compra podem chegar em datas diferentes?",
    "Por que as mercadorias foram despachadas em pacotes separados?",
    "Comprei tudo junto, por que vai chegar em duas remessas?",
    "Meu pedido foi desmembrado em vários envios, é normal?",
)
faq(
    "entrega",
    "Vocês entregam no exterior?",
    "Fazem envio internacional?",
    "Consigo mandar uma compra pra fora do Brasil?",
    "Entregam em Portugal ou nos Estados Unidos?",
    "Tem entrega para outros países?",
)
faq(
    "entrega",
    "Como é calculado o valor do frete?",
    "Do que depende o preço da entrega?",
    "Por que o frete mudou quando coloquei outro item?",
    "O que influencia na taxa de envio?",
    "Peso e distância contam no custo do transporte?",
    "Entender a cobrança da entrega: como vocês chegam nesse valor?",
)
faq(
    "entrega",
    "Posso escolher o horário em que o pedido será entregue?",
    "Dá pra marcar um período do dia para receber?",
    "Consigo pedir pra entregarem só à tarde?",
    "Tem como definir a hora que o entregador vem?",
    "Trabalho de manhã, posso pedir a entrega depois das 18h?",
)
faq(
    "entrega",
    "O produto chegou com a caixa amassada, devo recusar?",
    "A embalagem veio toda danificada, aceito ou devolvo pro entregador?",
    "A caixa chegou rasgada, o que faço na hora de receber?",
    "Devo aceitar uma encomenda que parece avariada?",
    "Pacote chegou molhado e estourado, recuso?",
)
faq(
    "entrega",
    "Vocês entregam em caixa postal?",
    "Posso usar uma caixa postal como endereço de entrega?",
    "Dá pra mandar a compra para uma agência dos Correios com caixa postal?",
    "Aceitam endereço de caixa postal no cadastro de entrega?",
    "Entregam em CEP de caixa postal?",
)
faq(
    "entrega",
    "A entrega de produtos grandes é feita até dentro do apartamento?",
    "O entregador sobe a geladeira até o meu andar?",
    "Móvel grande é deixado na portaria ou levam até a porta?",
    "Vocês carregam o sofá pela escada se o prédio não tiver elevador?",
    "Até onde a transportadora leva itens volumosos?",
)

# --- rastreamento
faq(
    "rastreamento",
    "Onde encontro o código de rastreamento do meu pedido?",
    "Como pego o número de rastreio?",
    "Não recebi o código pra acompanhar a encomenda",
    "Cadê o código de rastreio da minha compra?",
    "Onde vejo o código pra seguir a entrega?",
    "em qual lugar aparece o rastreio do pacote?",
)
faq(
    "rastreamento",
    "O rastreamento não atualiza há dias, o que fazer?",
    "Meu pedido está parado no mesmo status faz uma semana",
    "O rastreio não mostra nenhuma movimentação nova",
    "A encomenda travou em trânsito e não sai disso",
    "Faz dias que a situação da entrega não muda",
    "rastreio parado desde segunda, é normal?",
)
faq(
    "rastreamento",
    "O rastreamento diz entregue, mas eu não recebi",
    "Consta como entregue e o pacote não chegou",
    "O sistema marcou como recebido e eu não tenho nada aqui",
    "Aparece que foi entregue mas ninguém recebeu em casa",
    "disseram que entregaram minha encomenda mas não chegou nada",
    "Pedido finalizado como entregue sem eu ter recebido, e agora?",
)
faq(
    "rastreamento",
    "Como acompanho o status do meu pedido?",
    "Onde vejo em que etapa está minha compra?",
    "Tem como saber se já enviaram o que comprei?",
    "Quero acompanhar a situação da encomenda, onde olho?",
    "Como sei se o pedido já saiu pra entrega?",
    "onde vejo se minha compra foi aprovada e despachada?",
)
faq(
    "rastreamento",
    "O que significa o status '{s}' no meu pedido?",
    "Meu pedido está como '{s}', o que isso quer dizer?",
    "Apareceu '{s}' no acompanhamento, é bom ou ruim?",
    "O que quer dizer quando a compra fica em '{s}'?",
    "Não entendi a etapa '{s}', podem explicar?",
    "Minha encomenda mostra '{s}', o que está acontecendo?",
    slot="st",
)
faq(
    "rastreamento",
    "Meu pedido passou do prazo de entrega e não chegou",
    "A data prevista já foi e nada da encomenda",
    "Minha compra está atrasada, o que vocês podem fazer?",
    "Venceu a previsão e o produto ainda não veio",
    "Era pra ter chegado ontem, cadê meu pedido?",
    "O prazo estourou, tenho direito a alguma coisa?",
)
faq(
    "rastreamento",
    "Como rastreio uma entrega feita {pelos}?",
    "Onde acompanho um pacote que vai {pelos}?",
    "Meu pedido foi {pelos}, como vejo onde está?",
    "Qual site uso pra seguir uma encomenda {pelos}?",
    "Rastreio de compra enviada {pelos}, como funciona?",
    slot="transp",
)
faq(
    "rastreamento",
    "O rastreio mostra 'devolvido ao remetente', o que houve?",
    "Minha compra voltou pra loja sem eu receber, por quê?",
    "A transportadora devolveu o pacote pra vocês, e agora?",
    "Por que a encomenda está retornando ao vendedor?",
    "O objeto foi devolvido e eu nem fui avisado",
)

# --- pedidos
faq(
    "pedidos",
    "Como cancelo um pedido que {em}?",
    "Quero desistir de uma compra que {ef}, como faço?",
    "Dá pra cancelar a compra se ela {ef}?",
    "Preciso cancelar uma encomenda que {ef}",
    "Tem como desfazer a compra {quando}?",
    "Consigo anular meu pedido {quando}?",
    slot="etapa",
)
faq(
    "pedidos",
    "Posso alterar o endereço de entrega depois de finalizar a compra?",
    "Errei o endereço no pedido, dá pra corrigir?",
    "Como mudo o local de entrega de uma compra já feita?",
    "Coloquei o CEP errado, consigo trocar agora?",
    "Quero que a encomenda vá pra outro lugar, é possível?",
    "dá pra editar o endereço depois que o pedido foi fechado?",
)
faq(
    "pedidos",
    "Posso incluir mais um produto em um pedido já feito?",
    "Esqueci de colocar um item no carrinho, dá pra adicionar?",
    "Como acrescento algo numa compra que já finalizei?",
    "Tem como juntar um novo item ao pedido anterior?",
    "Queria pôr mais uma coisa na minha compra, pode?",
)
faq(
    "pedidos",
    "Meu pedido não aparece na minha conta",
    "Fiz uma compra e ela não está no histórico",
    "Não acho a compra em 'Meus pedidos'",
    "Comprei mas não vejo nada no aplicativo",
    "Sumiu o pedido da minha área de cliente",
    "a compra nao aparece no meu perfil, foi concluída?",
)
faq(
    "pedidos",
    "Consigo comprar sem criar uma conta?",
    "Dá pra fazer pedido como visitante?",
    "É obrigatório se cadastrar para comprar?",
    "Tem como finalizar a compra sem cadastro?",
    "Preciso abrir conta no site pra comprar?",
)
faq(
    "pedidos",
    "Posso comprar para outra pessoa receber?",
    "Dá pra mandar o pedido pro endereço de um amigo?",
    "Quero comprar e entregar direto na casa da minha mãe, pode?",
    "O destinatário pode ser diferente de quem pagou?",
    "Como envio uma compra de presente pra alguém?",
)
faq(
    "pedidos",
    "Outra pessoa pode retirar meu pedido na loja?",
    "Alguém pode buscar minha compra no meu lugar?",
    "Meu marido pode pegar o pedido por mim?",
    "Preciso ir pessoalmente retirar ou posso mandar alguém?",
    "Quem pode fazer a retirada da encomenda além do comprador?",
)
faq(
    "pedidos",
    "Meu pedido foi cancelado sem eu pedir, por quê?",
    "A loja cancelou minha compra do nada",
    "Por que recebi aviso de cancelamento se eu não cancelei?",
    "Cancelaram minha encomenda automaticamente, o que houve?",
    "Minha compra foi cancelada sozinha, qual o motivo?",
)
faq(
    "pedidos",
    "Posso fazer um pedido {pelo}?",
    "Vocês vendem {pelo}?",
    "Dá pra comprar {pelo}?",
    "Tem atendimento de vendas {pelo}?",
    "Consigo fechar uma compra {pelo}?",
    slot="venda",
)
faq(
    "pedidos",
    "Vocês vendem em grande quantidade para revenda?",
    "Tem preço de atacado pra quem compra muito?",
    "Quero comprar 50 unidades, tem condição especial?",
    "Existe limite de itens por pedido?",
    "Fazem venda no volume para empresas?",
)
faq(
    "pedidos",
    "Recebi dois e-mails de confirmação, comprei em dobro?",
    "Chegou a confirmação do pedido duas vezes, vou ser cobrado duas vezes?",
    "Parece que o pedido foi duplicado, como conferir?",
    "Acho que finalizei a compra duas vezes sem querer",
    "Apareceram dois pedidos iguais na minha conta",
)
faq(
    "pedidos",
    "Vocês fazem embalagem para presente?",
    "Dá pra pedir o produto embrulhado?",
    "Tem opção de papel de presente?",
    "Posso mandar um cartão com mensagem junto da compra?",
    "Como peço pra vir embalado para presentear?",
)
faq(
    "pedidos",
    "O preço do produto mudou enquanto estava no carrinho, por quê?",
    "Coloquei no carrinho por um valor e na hora de pagar estava outro",
    "O carrinho atualizou o preço sozinho",
    "Por que o valor subiu quando fui finalizar?",
    "Item que salvei no carrinho ficou mais caro, isso é normal?",
)

# --- trocas e devoluções
faq(
    "trocas e devoluções",
    "Qual o prazo para devolver um produto {cond}?",
    "Até quando posso devolver uma compra {cond}?",
    "Quantos dias tenho pra mandar de volta um item {cond}?",
    "Tenho quanto tempo pra retornar um pedido {cond}?",
    "Existe data limite pra devolução {de}?",
    "Recebi um produto {cond2}, até quando dá pra devolver?",
    slot="mot",
)
faq(
    "trocas e devoluções",
    "Quem paga o frete da devolução de um produto {cond}?",
    "O envio pra devolver um item {cond} é por minha conta?",
    "Tenho que pagar o transporte de volta de um produto {cond}?",
    "A devolução {de} tem custo pra mim?",
    "Vou gastar com postagem pra devolver algo {cond}?",
    "A loja cobre a remessa quando devolvo um pedido {cond}?",
    slot="mot",
)
faq(
    "trocas e devoluções",
    "Como solicito a devolução de um produto {cond}?",
    "Qual o passo a passo pra devolver um item {cond}?",
    "Onde peço pra mandar de volta uma compra {cond}?",
    "Recebi um produto {cond2}, como faço a devolução?",
    "Quero abrir uma devolução {de}, por onde começo?",
    slot="mot",
)
faq(
    "trocas e devoluções",
    "Como faço para trocar um produto por outro tamanho?",
    "A roupa ficou pequena, consigo pegar um número maior?",
    "Quero trocar o tênis por uma numeração diferente",
    "Não serviu, como funciona a troca de tamanho?",
    "Dá pra trocar por outro tamanho sem pagar de novo?",
    "comprei M e preciso de G, como troco?",
)
faq(
    "trocas e devoluções",
    "Posso trocar na loja física um produto comprado pela internet?",
    "Comprei online, dá pra fazer a troca numa loja de vocês?",
    "As lojas aceitam troca de pedidos do site?",
    "Consigo levar o item do e-commerce numa unidade pra trocar?",
    "Troca de compra online pode ser feita presencialmente?",
)
faq(
    "trocas e devoluções",
    "Como e quando recebo o estorno de uma compra paga {com}?",
    "Devolvi um pedido que paguei {com}, como vem o reembolso?",
    "O dinheiro de uma compra {no} volta de que forma?",
    "Cancelei a compra feita {com}, quando recebo o valor?",
    "Reembolso de pedido pago {com}: como funciona?",
    "Como vocês devolvem o valor se eu paguei {com}?",
    slot="pag",
    use=("credito", "pix", "boleto", "debito", "vale"),
)
faq(
    "trocas e devoluções",
    "Como gero a etiqueta de devolução?",
    "Onde consigo o código de postagem pra devolver?",
    "Preciso imprimir alguma coisa pra mandar o produto de volta?",
    "Como pego a autorização de postagem reversa?",
    "Cadê o código pra levar a devolução na agência?",
)
faq(
    "trocas e devoluções",
    "Vocês buscam o produto em casa para devolução?",
    "A coleta do item devolvido é feita no meu endereço?",
    "Tenho que levar a devolução no correio ou alguém vem buscar?",
    "Como agendar a retirada do produto que vou devolver?",
    "É possível devolver sem sair de casa?",
)
faq(
    "trocas e devoluções",
    "Recebi um produto diferente do que comprei",
    "Veio outro item no lugar do que eu pedi",
    "Mandaram a cor errada",
    "O que chegou não é o que eu encomendei",
    "Pedi um modelo e entregaram outro",
)
faq(
    "trocas e devoluções",
    "Posso devolver um produto sem a embalagem original?",
    "Joguei a caixa fora, ainda consigo devolver?",
    "A devolução precisa estar na embalagem de fábrica?",
    "Abri e descartei a caixa, aceitam a troca mesmo assim?",
    "É obrigatório mandar de volta com a embalagem?",
)
faq(
    "trocas e devoluções",
    "Posso devolver {um} que já usei?",
    "{o} já foi usad{g}, ainda aceitam devolução?",
    "Experimentei {o} por uns dias, dá pra devolver?",
    "Usei {o} e não gostei, tem como retornar?",
    "Devolução de {c} usad{g} é permitida?",
    "abri e usei {o}, vocês aceitam de volta?",
    slot="cat",
    use=("perfume", "colchao", "fone", "tenis", "celular", "vestido"),
)
faq(
    "trocas e devoluções",
    "Posso trocar por outro produto em vez de receber o dinheiro de volta?",
    "Prefiro um item diferente ao invés do reembolso, pode?",
    "Dá pra converter a devolução em crédito na loja?",
    "Em vez de estorno quero outro produto, como faço?",
    "Consigo usar o valor devolvido numa nova compra?",
)
faq(
    "trocas e devoluções",
    "Devolvi o produto e ainda não recebi o reembolso",
    "Mandei o item de volta faz tempo e o dinheiro não caiu",
    "Cadê o estorno da minha devolução?",
    "A loja já recebeu a devolução mas não me pagou",
    "Meu reembolso está demorando demais, o que faço?",
)
faq(
    "trocas e devoluções",
    "Posso trocar um presente que ganhei sem ter a nota fiscal?",
    "Ganhei um produto de presente, como troco sem a nota?",
    "Quem recebeu presente consegue fazer troca?",
    "Não fui eu que comprei, dá pra trocar mesmo assim?",
    "Troca de presente precisa do cupom fiscal?",
)

# --- garantia
faq(
    "garantia",
    "Qual é a garantia {do}?",
    "Por quanto tempo {o} fica coberto contra defeitos?",
    "{o} tem quantos meses de garantia?",
    "Se {o} der problema, até quando vocês cobrem?",
    "Qual a cobertura de fábrica {pro}?",
    "quanto tempo de garantia vem com {o}?",
    slot="cat",
    use=("celular", "notebook", "tv", "geladeira", "fone", "cafeteira", "colchao"),
)
faq(
    "garantia",
    "{o} deu defeito, como aciono a garantia?",
    "{meu} parou de funcionar, o que faço?",
    "{meu} quebrou dentro da garantia, e agora?",
    "Onde levo {o} com problema pra consertar?",
    "Como peço o conserto {do} pela garantia?",
    "{meu} estragou, a loja troca ou mando pra assistência?",
    slot="cat",
    use=("celular", "notebook", "tv", "geladeira", "maquina"),
)
faq(
    "garantia",
    "Como funciona a garantia estendida {do}?",
    "O que a garantia estendida {do} cobre?",
    "Posso comprar cobertura extra {pro}?",
    "Tem como ampliar o tempo de garantia {do}?",
    "Vale a pena pagar seguro adicional {no}?",
    slot="cat",
    use=("celular", "notebook", "tv", "geladeira"),
)
faq(
    "garantia",
    "Onde fica a assistência técnica autorizada mais próxima?",
    "Como encontro um lugar credenciado pra conserto?",
    "Quais assistências são autorizadas pelo fabricante?",
    "Tem lista de oficinas técnicas autorizadas?",
    "onde conserto sem perder a garantia?",
)
faq(
    "garantia",
    "A garantia cobre quebra por queda?",
    "Se eu deixar o aparelho cair, a garantia vale?",
    "Dano por acidente está incluso na cobertura?",
    "Tela quebrada entra na garantia?",
    "Mau uso é coberto pelo fabricante?",
)
faq(
    "garantia",
    "Preciso da nota fiscal para usar a garantia?",
    "Sem a nota consigo acionar o conserto?",
    "A assistência exige o comprovante de compra?",
    "Perdi a NF, ainda tenho direito à cobertura?",
    "É obrigatório apresentar a nota pra garantia?",
)
faq(
    "garantia",
    "Quanto tempo demora o conserto pela garantia?",
    "Qual o prazo pra assistência devolver meu aparelho?",
    "Meu produto está na assistência há semanas, tem limite?",
    "Em quantos dias consertam um item na garantia?",
    "O reparo passou de 30 dias, o que posso exigir?",
)

# --- nota fiscal
faq(
    "nota fiscal",
    "Onde encontro a nota fiscal da minha compra?",
    "Como baixo a NF do meu pedido?",
    "Não veio a nota fiscal junto com o produto",
    "Cadê a DANFE da minha encomenda?",
    "Preciso da nota do que comprei, onde pego?",
    "a NF é enviada por e-mail?",
)
faq(
    "nota fiscal",
    "Posso emitir a nota fiscal no CNPJ da minha empresa?",
    "Dá pra faturar a compra em nome de pessoa jurídica?",
    "Como compro com CNPJ e recebo nota pra empresa?",
    "Quero a NF com os dados da minha firma, é possível?",
    "Vocês vendem para PJ com nota?",
)
faq(
    "nota fiscal",
    "A nota fiscal veio com dados errados, como corrigir?",
    "Meu nome saiu errado na NF",
    "O CPF na nota está incorreto, o que faço?",
    "Preciso ajustar o endereço que consta no documento fiscal",
    "Tem como reemitir a nota com as informações certas?",
)
faq(
    "nota fiscal",
    "Como peço a segunda via da nota fiscal?",
    "Perdi a NF, consigo outra cópia?",
    "Apaguei o e-mail com a nota, como recebo de novo?",
    "Preciso reimprimir a nota de uma compra antiga",
    "Dá pra reenviar o XML e o PDF da nota?",
)
faq(
    "nota fiscal",
    "Por que o valor da nota fiscal é diferente do que eu paguei?",
    "A NF mostra um total maior que o da minha compra",
    "O valor na nota não bate com o da fatura",
    "Paguei menos do que aparece no documento fiscal, está certo?",
    "Por que o desconto não aparece na nota?",
)

# --- cupons
faq(
    "cupons",
    "Por que meu cupom de desconto não funciona?",
    "O código promocional dá inválido",
    "Coloquei o cupom e o desconto não foi aplicado",
    "O sistema não aceita meu voucher",
    "Aparece erro quando digito o código",
    "meu cupom nao ta funcionando",
)
faq(
    "cupons",
    "Posso usar mais de um cupom no mesmo pedido?",
    "Dá pra juntar dois códigos de desconto?",
    "Os cupons são cumulativos?",
    "Consigo aplicar vários vouchers numa compra só?",
    "Tem como somar um código promocional com outro?",
)
faq(
    "cupons",
    "Vocês têm cupom para a primeira compra?",
    "Tem desconto pra quem compra pela primeira vez?",
    "Vocês dão código de boas-vindas?",
    "Sou cliente novo, ganho algum abatimento?",
    "Qual o voucher para quem nunca comprou no app?",
)
faq(
    "cupons",
    "Meu cupom expirou, posso usar mesmo assim?",
    "O código de desconto venceu, tem como reativar?",
    "Passou a validade do voucher, ainda vale?",
    "Perdi o prazo do código promocional, consigo usar?",
    "cupom vencido ainda funciona?",
)
faq(
    "cupons",
    "Como funciona o cashback?",
    "Como recebo dinheiro de volta nas compras?",
    "O que é esse valor de volta que aparece no pedido?",
    "Quanto retorna pra mim depois de comprar e como uso?",
    "Como ganho crédito de volta comprando com vocês?",
)
faq(
    "cupons",
    "O cupom vale para produtos em promoção?",
    "Posso usar desconto em item que já está em oferta?",
    "O voucher funciona em mercadoria da liquidação?",
    "Código promocional é aceito em produto já remarcado?",
    "Dá pra aplicar o código em algo que já tá mais barato?",
)
faq(
    "cupons",
    "Se o preço baixar depois da compra, recebo a diferença?",
    "Comprei e no dia seguinte ficou mais barato, vocês devolvem a diferença?",
    "O valor caiu depois que paguei, tenho direito a reembolso parcial?",
    "Tem garantia de menor preço?",
    "Baixou o preço do que eu comprei ontem, e agora?",
)
faq(
    "cupons",
    "O cupom de frete grátis não foi aplicado",
    "Usei o código de entrega gratuita e continuou cobrando envio",
    "O voucher de frete zero não tirou a taxa",
    "Por que ainda estou pagando a entrega se coloquei o cupom?",
    "código de frete free não funcionou",
)
faq(
    "cupons",
    "Como funciona o programa de pontos?",
    "Acumulo pontos comprando aqui?",
    "Como troco meus pontos de fidelidade?",
    "Onde vejo quantos pontos eu tenho?",
    "O clube de vantagens dá que benefícios?",
)
faq(
    "cupons",
    "Como ganho cupom indicando amigos?",
    "Tem recompensa se eu trouxer um amigo pra comprar?",
    "Onde pego meu link de indicação?",
    "Indiquei alguém, quando recebo meu desconto?",
    "Como funciona o programa indique e ganhe?",
)

# --- conta
faq(
    "conta",
    "Como altero {o} cadastrad{g} na minha conta?",
    "Quero mudar {meu} no cadastro, como faço?",
    "Onde edito {o} do meu perfil?",
    "Preciso atualizar {meu}, onde fica essa opção?",
    "{o} da conta está desatualizad{g}, como troco?",
    "tem como corrigir {o} que coloquei quando me cadastrei?",
    slot="dado",
)
faq(
    "conta",
    "Esqueci minha senha, como recupero?",
    "Não lembro a senha para entrar na conta",
    "Como redefino meu acesso ao site?",
    "Perdi a senha do app, o que fazer?",
    "Preciso criar uma senha nova porque esqueci a antiga",
    "nao consigo logar pq esqueci a senha",
)
faq(
    "conta",
    "Não recebo o e-mail para redefinir a senha",
    "Pedi pra recuperar a senha e a mensagem não chega",
    "O link de troca de senha não aparece na minha caixa de entrada",
    "Cliquei em 'esqueci minha senha' mas nada veio",
    "Já tentei várias vezes e o e-mail de recuperação nunca chega",
)
faq(
    "conta",
    "Como excluo minha conta?",
    "Quero apagar meu cadastro de vocês",
    "Como encerro meu perfil definitivamente?",
    "Desejo remover todos os meus dados da loja",
    "Onde cancelo meu cadastro no site?",
)
faq(
    "conta",
    "Minha conta foi bloqueada, como desbloqueio?",
    "Não consigo acessar, diz que meu usuário está suspenso",
    "Apareceu 'conta bloqueada' quando tentei entrar",
    "Fui barrado no login por excesso de tentativas",
    "Como reativo um cadastro travado?",
)
faq(
    "conta",
    "Posso entrar com minha conta do Google?",
    "Tem login pelo Gmail?",
    "Dá pra acessar usando Facebook ou Google?",
    "Consigo me cadastrar com login social?",
    "Existe opção de entrar sem senha, pelo Google?",
)
faq(
    "conta",
    "Como paro de receber promoções {por}?",
    "Não quero mais ofertas por {via}, como desativo?",
    "Como cancelo o envio de propaganda por {via}?",
    "Vocês mandam muita promoção por {via}, como tiro isso?",
    "Onde desligo as mensagens de marketing por {via}?",
    "Quero sair da lista de ofertas via {via}",
    slot="mkt",
)
faq(
    "conta",
    "Como cadastro mais de um endereço na conta?",
    "Dá pra salvar o endereço de casa e o do trabalho?",
    "Quero ter dois endereços de entrega guardados",
    "Onde adiciono um novo local de entrega no perfil?",
    "Posso deixar vários endereços salvos pra escolher na compra?",
)
faq(
    "conta",
    "Posso ter duas contas com o mesmo CPF?",
    "Meu CPF já está cadastrado, consigo criar outro usuário?",
    "Diz que o CPF já existe, mas eu não tenho conta",
    "É permitido abrir um segundo cadastro com o mesmo documento?",
    "Por que não aceita meu CPF no cadastro novo?",
)
faq(
    "conta",
    "Como vocês protegem meus dados pessoais?",
    "A loja segue a LGPD?",
    "O que vocês fazem com as minhas informações?",
    "Meus dados são vendidos para terceiros?",
    "Onde leio a política de privacidade?",
)
faq(
    "conta",
    "Como ativo a verificação em duas etapas?",
    "Tem autenticação de dois fatores na conta?",
    "Quero mais segurança no login, dá pra usar código por SMS?",
    "Onde ligo o 2FA no meu perfil?",
    "Como proteger minha conta com um código extra ao entrar?",
)

# --- produtos
faq(
    "produtos",
    "Como sei quando um produto esgotado voltar ao estoque?",
    "Tem aviso de quando o item estiver disponível de novo?",
    "O produto acabou, vocês avisam se chegar mais?",
    "Posso ser notificado da reposição?",
    "Quando volta a ter esse produto?",
)
faq(
    "produtos",
    "{o} é bivolt ou preciso escolher a voltagem?",
    "Qual a tensão {do}: 110 ou 220?",
    "{o} funciona em 127V e em 220V?",
    "Preciso comprar {o} na voltagem certa da minha casa?",
    "Como sei se {o} é 110 ou 220 volts?",
    slot="cat",
    use=("geladeira", "cafeteira", "microondas", "maquina", "ar"),
)
faq(
    "produtos",
    "Vocês fazem a {inst} {do}?",
    "Quem faz a {inst} {do} que comprei?",
    "{o} já vem com {inst} inclusa?",
    "Preciso contratar alguém pra {inst} {do}?",
    "A loja manda técnico pra {inst} {do}?",
    "Tem serviço de {inst} {pro}?",
    slot="cat",
    use=("guardaroupa", "ar", "tv", "cama", "fogao", "mesa"),
)
faq(
    "produtos",
    "Como escolho o tamanho certo {do}?",
    "Onde vejo a tabela de medidas {do}?",
    "Qual numeração devo pedir {no}?",
    "{o} costuma vir maior ou menor que o normal?",
    "Tenho dúvida no tamanho {do}, como acerto?",
    "Tem guia de medidas {pro}?",
    slot="cat",
    use=("camiseta", "calca", "tenis", "vestido", "jaqueta", "sandalia"),
)
faq(
    "produtos",
    "Quais são as medidas {do} para saber se passa na porta?",
    "{o} cabe no elevador do meu prédio?",
    "Qual o tamanho da caixa {do}?",
    "Como sei se {o} passa pelo corredor de casa?",
    "Preciso das dimensões {do} embalad{g}",
    slot="cat",
    use=("sofa", "guardaroupa", "geladeira", "mesa", "colchao"),
)
faq(
    "produtos",
    "Como devo lavar {o} para não estragar?",
    "Quais os cuidados de lavagem {do}?",
    "{o} pode ir na máquina de lavar?",
    "Como limpo {o} sem desbotar?",
    "{o} encolhe se lavar com água quente?",
    slot="cat",
    use=("camiseta", "calca", "tenis", "jaqueta", "vestido"),
)
faq(
    "produtos",
    "Os produtos vendidos no site são originais?",
    "Vocês vendem só mercadoria original?",
    "Tem risco de receber produto falsificado?",
    "Como sei que o item não é réplica?",
    "Os itens têm procedência garantida?",
)
faq(
    "produtos",
    "O preço do site é o mesmo da loja física?",
    "O valor online vale também na loja?",
    "Na unidade o produto custa igual ao app?",
    "As ofertas da internet valem nas lojas?",
    "Por que o preço na loja é diferente do site?",
)
faq(
    "produtos",
    "O produto que vou receber é igual ao da foto?",
    "A imagem do anúncio é fiel ao item?",
    "A cor real é a mesma que aparece na tela?",
    "O que chega é exatamente o modelo mostrado?",
    "As fotos são ilustrativas ou do produto de verdade?",
)
faq(
    "produtos",
    "Vocês vendem produtos usados ou recondicionados?",
    "Tem seminovo à venda no site?",
    "Os aparelhos são todos novos, lacrados?",
    "Existe seção de itens reformados com desconto?",
    "Vendem mostruário ou produto de vitrine?",
)

# --- marketplace
faq(
    "marketplace",
    "O que significa produto vendido por um parceiro?",
    "Qual a diferença entre comprar da loja e de um vendedor parceiro?",
    "O item é 'vendido e entregue por terceiros', o que isso muda?",
    "Quem é o responsável quando o produto é de um seller?",
    "Comprar de lojista do marketplace é seguro?",
)
faq(
    "marketplace",
    "Como falo com o vendedor parceiro?",
    "Onde mando mensagem pro lojista do marketplace?",
    "Preciso tirar uma dúvida com a loja que vendeu, como contato?",
    "Tem chat com o seller?",
    "Como entro em contato com quem anunciou o produto?",
)
faq(
    "marketplace",
    "Como me torno um vendedor no site de vocês?",
    "Quero vender meus produtos na plataforma, como faço?",
    "Como cadastro minha loja no marketplace?",
    "Quais as taxas pra anunciar aqui?",
    "Sou lojista, como viro parceiro de vocês?",
)

# --- atendimento
faq(
    "atendimento",
    "Qual o horário de atendimento {pelo}?",
    "Até que horas vocês atendem {pelo}?",
    "Em quais dias e horários funciona o atendimento {pelo}?",
    "Vocês respondem {pelo} no fim de semana?",
    "Quando o suporte {do} está disponível?",
    "A que horas começa o atendimento {pelo}?",
    slot="canal",
)
faq(
    "atendimento",
    "Como falo com um atendente humano?",
    "Quero conversar com uma pessoa, não com robô",
    "Como chego num atendente de verdade no chat?",
    "O bot não resolve, como falo com alguém?",
    "Tem como ser atendido por uma pessoa real?",
)
faq(
    "atendimento",
    "Como registro uma reclamação?",
    "Onde faço uma queixa sobre o atendimento?",
    "Quero formalizar uma reclamação, qual o canal?",
    "Vocês têm ouvidoria?",
    "Como abro um protocolo de reclamação?",
)
faq(
    "atendimento",
    "Abri um chamado e ninguém me respondeu",
    "Mandei mensagem pro suporte faz dias e nada",
    "Meu protocolo está sem resposta até agora",
    "Ninguém retorna o meu pedido de ajuda",
    "Qual o prazo pra responderem meu atendimento?",
)
faq(
    "atendimento",
    "Onde ficam as lojas físicas de vocês?",
    "Tem loja na minha cidade?",
    "Qual o endereço da unidade mais perto?",
    "Vocês têm ponto de venda presencial?",
    "Como encontro uma loja de vocês pra visitar?",
)


# --- more FAQs, by topic
faq(
    "rastreamento",
    "Meu pedido está '{s}' há dias, é normal?",
    "Faz uma semana que a compra está em '{s}', o que houve?",
    "Por que meu pedido não sai de '{s}'?",
    "A encomenda travou em '{s}', quanto tempo isso costuma durar?",
    "Quanto tempo um pedido fica normalmente em '{s}'?",
    "Está '{s}' desde segunda, preciso fazer algo?",
    slot="st",
    use=("aguardando pagamento", "em separação", "faturado", "em trânsito", "em análise"),
)
faq(
    "rastreamento",
    "Posso buscar o pacote na agência dos Correios?",
    "Dá pra retirar a encomenda direto na agência?",
    "O pedido ficou esperando retirada no correio, como pego?",
    "Preciso ir até a unidade dos Correios buscar minha compra?",
    "Como retiro um volume que ficou parado na agência?",
)
faq(
    "rastreamento",
    "Recebi um código de rastreio que não funciona",
    "O número de rastreio dá como inexistente",
    "O site da transportadora diz que o objeto não foi encontrado",
    "Meu rastreio não é reconhecido",
    "Código de acompanhamento inválido, o que faço?",
)
faq(
    "rastreamento",
    "Como recebo notificações sobre a entrega?",
    "Vocês avisam por WhatsApp quando o pedido sai?",
    "Tem alerta de que a encomenda está chegando?",
    "Quero ser avisado de cada etapa do envio",
    "Como ativo avisos do andamento da compra?",
)
faq(
    "rastreamento",
    "O entregador pediu um código para entregar, qual é?",
    "Que código de confirmação o motoboy está pedindo?",
    "Onde vejo o código de segurança da entrega?",
    "Pediram uma senha pra liberar o pacote, onde encontro?",
    "O entregador quer um PIN, de onde tiro isso?",
)
faq(
    "rastreamento",
    "Minha encomenda foi extraviada, e agora?",
    "A transportadora perdeu meu pacote",
    "O pedido sumiu no caminho",
    "Disseram que a mercadoria se perdeu na rota",
    "Como fica se o produto for roubado durante o transporte?",
)
faq(
    "nota fiscal",
    "A nota fiscal vem dentro da caixa?",
    "A NF é impressa e enviada junto com o produto?",
    "Vou receber a nota em papel?",
    "Vem documento fiscal na embalagem?",
    "A nota acompanha a encomenda ou é só digital?",
)
faq(
    "nota fiscal",
    "Produtos de vendedor parceiro têm nota fiscal?",
    "Quem emite a NF quando compro de um seller?",
    "Compra no marketplace vem com nota?",
    "O lojista parceiro é obrigado a mandar o documento fiscal?",
    "Não recebi a nota de um item vendido por terceiro",
)
faq(
    "nota fiscal",
    "Como coloco meu CPF na nota fiscal?",
    "Quero CPF na nota, onde informo?",
    "Esqueci de pôr o documento na compra, dá pra incluir na NF?",
    "A nota sai com meu CPF automaticamente?",
    "Preciso do CPF na NF pro programa de crédito do estado",
)
faq(
    "nota fiscal",
    "Quando a nota fiscal é emitida?",
    "Em que momento vocês geram a NF?",
    "Quanto tempo depois do pagamento sai a nota?",
    "A nota é feita antes ou depois do envio?",
    "Quando o documento fiscal fica disponível?",
)
faq(
    "marketplace",
    "Posso devolver um produto comprado de um vendedor parceiro?",
    "Como funciona a troca de item vendido por terceiro?",
    "A devolução de compra no marketplace é com vocês ou com o seller?",
    "Comprei de um lojista parceiro e quero mandar de volta",
    "Quem cuida da devolução quando o vendedor é outro?",
)
faq(
    "marketplace",
    "Por que o frete muda de acordo com o vendedor?",
    "Cada seller cobra entrega diferente?",
    "Comprei de dois lojistas e paguei dois fretes, por quê?",
    "O envio de produtos de parceiros é cobrado separado?",
    "Por que a entrega do marketplace tem outro valor?",
)
faq(
    "marketplace",
    "Como avalio um vendedor do marketplace?",
    "Onde deixo minha opinião sobre o lojista?",
    "Quero dar nota para o seller",
    "Como faço uma avaliação da loja parceira?",
    "Onde escrevo um comentário sobre quem me vendeu?",
)
faq(
    "marketplace",
    "O vendedor parceiro não responde, o que faço?",
    "Mandei mensagem pro seller e ninguém retorna",
    "O lojista do marketplace sumiu",
    "Vocês intermediam se o vendedor não me atender?",
    "Parceiro não resolve meu problema, quem me ajuda?",
)
faq(
    "atendimento",
    "Como falo com vocês {pelo}?",
    "Qual o contato {do}?",
    "Passa o canal {do} da loja",
    "Onde acho o acesso {do}?",
    "Dá pra ser atendido {pelo}?",
    slot="canal",
)
faq(
    "atendimento",
    "Como acompanho meu protocolo de atendimento?",
    "Onde vejo o andamento do meu chamado?",
    "Tenho um número de protocolo, como consulto?",
    "Quero saber a situação da minha solicitação no suporte",
    "Como sei se já responderam meu ticket?",
)
faq(
    "atendimento",
    "Vocês têm atendimento acessível para pessoas com deficiência?",
    "Há suporte em Libras para surdos?",
    "Tem intérprete de Libras no atendimento?",
    "Qual canal é acessível pra deficientes auditivos?",
    "O site tem recursos de acessibilidade?",
)
faq(
    "atendimento",
    "Como envio sugestões ou elogios?",
    "Quero elogiar um atendente, onde faço isso?",
    "Tenho uma ideia pra melhorar o site, pra quem mando?",
    "Onde deixo um feedback positivo?",
    "Canal para mandar sugestões para a empresa",
)
faq(
    "cupons",
    "O cupom vale para compras {pelo}?",
    "Posso usar o código de desconto {pelo}?",
    "Cupom funciona {pelo}?",
    "O voucher é aceito {pelo}?",
    "Dá pra aplicar o desconto promocional comprando {pelo}?",
    slot="cupom",
)
faq(
    "cupons",
    "Onde encontro os cupons disponíveis?",
    "Tem uma página com os códigos de desconto ativos?",
    "Como descubro os vouchers que posso usar?",
    "Onde vejo as promoções e códigos do mês?",
    "Vocês divulgam os cupons onde?",
)
faq(
    "cupons",
    "Quando vai ter Black Friday?",
    "Qual a data das ofertas de novembro?",
    "Vocês participam da Black Friday?",
    "Quando começam as liquidações grandes do ano?",
    "Tem esquenta de Black Friday?",
)
faq(
    "cupons",
    "Se eu cancelar o pedido, recebo o cupom de volta?",
    "Cancelei a compra, perdi o código de desconto?",
    "O voucher volta para a conta se eu desistir?",
    "Consigo reutilizar o código depois de cancelar?",
    "Se eu devolver o produto, o cupom é restituído?",
)
faq(
    "garantia",
    "A garantia é da loja ou do fabricante?",
    "Quem é responsável pela cobertura, vocês ou a marca?",
    "Falo com a loja ou com quem fabricou se der defeito?",
    "A garantia é dada por quem?",
    "Devo procurar a empresa que fez o produto quando quebra?",
)
faq(
    "garantia",
    "Produto importado tem garantia no Brasil?",
    "Item vindo de fora tem cobertura nacional?",
    "A garantia de eletrônico importado vale aqui?",
    "Comprei um produto internacional, quem conserta?",
    "Importados têm assistência técnica no país?",
)
faq(
    "conta",
    "Por que o site não aceita {meu} no cadastro?",
    "Dá erro quando coloco {meu} no cadastro",
    "{o} que eu digito aparece como inválid{g}",
    "Não consigo salvar {meu} na conta, o que pode ser?",
    "O formulário recusa {meu}, como resolvo?",
    slot="dado",
    use=("email", "telefone", "cpf", "endereco"),
)
faq(
    "conta",
    "Como altero minha senha?",
    "Quero trocar a senha mesmo lembrando dela",
    "Onde mudo a senha de acesso?",
    "Preciso definir uma senha nova por segurança",
    "Como atualizo a senha do meu login?",
)
faq(
    "conta",
    "Acho que minha conta foi invadida, o que faço?",
    "Tem compras que não fiz no meu perfil",
    "Alguém mudou meu e-mail sem eu saber",
    "Minha conta foi hackeada",
    "Suspeito de acesso indevido ao meu cadastro",
)
faq(
    "pedidos",
    "Como faço uma compra pelo site?",
    "Qual o passo a passo pra comprar aqui?",
    "Nunca comprei com vocês, como funciona?",
    "Como finalizo minha primeira compra?",
    "Me explica como fazer um pedido na loja online",
)
faq(
    "pedidos",
    "Posso reservar um produto para comprar depois?",
    "Dá pra segurar um item enquanto junto o dinheiro?",
    "Vocês guardam um produto pra mim?",
    "Tem como deixar separado pra pagar outro dia?",
    "Consigo bloquear o estoque de algo pra comprar amanhã?",
)
faq(
    "pedidos",
    "O que acontece com meu pedido se o produto acabar no estoque?",
    "Comprei e depois disseram que não tinha mais, e agora?",
    "Meu item ficou indisponível depois do pagamento",
    "Vendem sem ter estoque? O que fazem nesse caso?",
    "Recebi aviso de falta do produto que comprei",
)
faq(
    "pedidos",
    "Onde vejo o histórico das minhas compras?",
    "Como consulto pedidos antigos?",
    "Quero ver tudo que já comprei aqui",
    "Tem lista das minhas compras anteriores?",
    "Onde ficam registradas as compras passadas?",
)
faq(
    "pagamento",
    "Posso pagar na entrega?",
    "Vocês aceitam pagamento quando o produto chegar?",
    "Tem opção de pagar ao receber?",
    "Dá pra pagar em dinheiro para o entregador?",
    "Aceitam maquininha na hora da entrega?",
)
faq(
    "pagamento",
    "Já paguei, mas o pedido continua aguardando pagamento",
    "Paguei e o status não mudou",
    "O dinheiro saiu da minha conta e a compra não foi aprovada",
    "Fiz o pagamento e o pedido ainda aparece pendente",
    "Paguei ontem e o site diz que não recebeu",
)
faq(
    "pagamento",
    "Existe valor mínimo de compra para pagar {com}?",
    "Tem pedido mínimo pra usar {o}?",
    "A partir de quanto posso pagar {com}?",
    "Compras pequenas podem ser pagas {com}?",
    "Qual o menor valor aceito {no}?",
    slot="pag",
    use=("boleto", "credito", "pix", "vale"),
)
faq(
    "entrega",
    "Vocês entregam {em}?",
    "Atendem pedidos com destino {para}?",
    "Moro {mor}, vocês mandam pra cá?",
    "Tem cobertura de entrega {em}?",
    "Consigo receber compras {em}?",
    slot="reg",
)
faq(
    "entrega",
    "O porteiro pode receber a encomenda por mim?",
    "Tudo bem se a portaria receber minha compra?",
    "Vizinho pode pegar o pacote no meu lugar?",
    "Quem pode assinar o recebimento do pedido?",
    "A mercadoria pode ficar na recepção do prédio?",
)
faq(
    "produtos",
    "O que vem na caixa {do}?",
    "{o} acompanha algum acessório?",
    "Quais itens vêm junto com {o}?",
    "Na embalagem {do} tem o quê além do aparelho?",
    "Conteúdo da caixa {do}: o que está incluso?",
    slot="cat",
    use=("celular", "notebook", "tv", "fone", "cafeteira"),
)
faq(
    "produtos",
    "Como escrevo uma avaliação de um produto?",
    "Onde deixo minha opinião sobre o que comprei?",
    "Quero comentar e dar estrelas pro item",
    "Como avalio a mercadoria depois de receber?",
    "Onde publico uma resenha do produto?",
)
faq(
    "trocas e devoluções",
    "Posso trocar {o} por outra cor?",
    "Quero {o} em outra cor, como troco?",
    "Dá pra trocar a cor {do} que recebi?",
    "Não gostei da cor {do}, consigo outra?",
    "Troca de cor {do}: como funciona?",
    slot="cat",
    use=("camiseta", "tenis", "vestido", "jaqueta", "sandalia"),
)


faq(
    "pagamento",
    "Como uso meu saldo de crédito da loja numa compra?",
    "Tenho crédito na conta, como aplico no pedido?",
    "Onde uso o valor que ficou de vale-troca?",
    "Meu saldo de devolução serve pra comprar?",
    "Como desconto o crédito da loja no checkout?",
)
faq(
    "pagamento",
    "Vocês aceitam cartão internacional?",
    "Cartão emitido fora do Brasil funciona aqui?",
    "Posso pagar com um cartão estrangeiro?",
    "Aceitam Visa ou Mastercard de outro país?",
    "Meu cartão é de Portugal, consigo comprar?",
)
faq(
    "pagamento",
    "O parcelamento tem juros?",
    "As parcelas são sem acréscimo?",
    "Quantas vezes posso dividir sem juros?",
    "Parcelar aumenta o valor final?",
    "Tem cobrança de juros no pagamento parcelado?",
)
faq(
    "entrega",
    "O frete é cobrado por item ou por pedido?",
    "Se eu comprar dois produtos pago dois fretes?",
    "A taxa de entrega é por produto?",
    "Juntando itens no carrinho o envio fica um só?",
    "Cada mercadoria tem seu próprio frete?",
)
faq(
    "entrega",
    "Posso receber o pedido no meu trabalho?",
    "Dá pra entregar a compra no endereço do escritório?",
    "Aceitam endereço comercial para entrega?",
    "Quero que o pacote vá para a empresa onde trabalho",
    "Entregam em horário comercial no meu serviço?",
)
faq(
    "entrega",
    "Posso mudar para {a} depois de finalizar o pedido?",
    "Escolhi outro tipo de envio, dá pra trocar para {a}?",
    "Como altero a forma de entrega para {m}?",
    "Consigo passar minha compra para {m} agora?",
    "Quero mudar o envio para {m}, ainda dá tempo?",
    slot="mod",
    use=("expressa", "agendada", "loja", "locker"),
)
faq(
    "rastreamento",
    "Meu pedido foi entregue no endereço errado",
    "O rastreio mostra entrega em outro lugar",
    "A transportadora deixou minha compra no endereço de outra pessoa",
    "Entregaram o pacote pro vizinho errado",
    "Minha encomenda foi parar em outra rua",
)
faq(
    "rastreamento",
    "O entregador não encontrou meu endereço",
    "Voltou como endereço não localizado",
    "O motorista disse que não achou minha casa",
    "Aparece 'destinatário não encontrado' no rastreio",
    "Como ajudar o entregador a achar o local?",
)
faq(
    "pedidos",
    "Por que não consigo finalizar a compra?",
    "O botão de fechar pedido não funciona",
    "Dá erro na última etapa do checkout",
    "O site trava quando vou concluir o carrinho",
    "Não consigo terminar meu pedido, o que pode ser?",
)
faq(
    "pedidos",
    "Como sei se meu pedido foi confirmado?",
    "Recebo algum e-mail quando a compra é aprovada?",
    "Onde vejo a confirmação da minha compra?",
    "Como ter certeza de que o pedido deu certo?",
    "Finalizei e não recebi nada, minha compra entrou?",
)
faq(
    "trocas e devoluções",
    "Posso devolver só um item de um pedido com vários produtos?",
    "Quero devolver apenas parte da compra",
    "Dá pra retornar um produto e ficar com o resto?",
    "Devolução parcial do pedido é permitida?",
    "Comprei três coisas e só uma não serviu, devolvo só ela?",
)
faq(
    "garantia",
    "A garantia cobre a bateria?",
    "Bateria viciada entra na cobertura?",
    "Se a bateria parar de segurar carga, a garantia vale?",
    "Problema de bateria é coberto pelo fabricante?",
    "Bateria tem garantia separada do aparelho?",
)
faq(
    "nota fiscal",
    "O valor do frete aparece na nota fiscal?",
    "O frete vem discriminado na NF?",
    "A taxa de entrega entra na nota?",
    "Por que o envio não consta no documento fiscal?",
    "Vem o custo da entrega na NF?",
)
faq(
    "cupons",
    "Como uso meu cashback numa nova compra?",
    "Onde aplico o saldo de cashback?",
    "Como gastar o dinheiro de volta que ganhei?",
    "O cashback vira desconto automático?",
    "Meu saldo de volta pode pagar o pedido inteiro?",
)
faq(
    "cupons",
    "Ganhei um cupom de aniversário, como uso?",
    "Vocês dão desconto no mês do meu aniversário?",
    "Onde acho o presente de aniversário da loja?",
    "O código de aniversário vale por quanto tempo?",
    "Como resgato o benefício de aniversariante?",
)
faq(
    "conta",
    "Como confirmo meu e-mail?",
    "Não validei meu cadastro, como faço?",
    "Onde clico pra verificar meu endereço eletrônico?",
    "O link de ativação da conta expirou",
    "Preciso confirmar o e-mail pra comprar?",
)
faq(
    "conta",
    "Posso usar a mesma conta no site e no aplicativo?",
    "O login do app é o mesmo do site?",
    "Preciso criar outro cadastro para o aplicativo?",
    "Minha conta do site funciona no celular?",
    "Compras feitas no app aparecem no site também?",
)
faq(
    "produtos",
    "Onde vejo a ficha técnica do produto?",
    "Como acho as especificações completas do item?",
    "Onde estão os detalhes técnicos no anúncio?",
    "Quero ver as características da mercadoria antes de comprar",
    "Tem descrição técnica completa em algum lugar?",
)
faq(
    "atendimento",
    "Vocês atendem em outros idiomas?",
    "Tem suporte em inglês?",
    "Posso ser atendido em espanhol?",
    "Algum atendente fala inglês?",
    "Há atendimento para estrangeiros?",
)
faq(
    "marketplace",
    "O vendedor parceiro pode cancelar minha compra?",
    "O seller cancelou meu pedido, pode isso?",
    "Por que o lojista parceiro desistiu da venda?",
    "Minha compra de terceiro foi cancelada pelo vendedor",
    "O que acontece se o parceiro não tiver o produto?",
)
faq(
    "marketplace",
    "Como sei se um vendedor parceiro é confiável?",
    "Onde vejo a reputação do seller?",
    "Tem nota ou avaliação dos lojistas?",
    "Como checar se a loja parceira é boa?",
    "Posso ver comentários de outros compradores sobre quem vende?",
)


# ------------------------------------------------------------------------------------------------- building
def _sentence(template: str, filler: dict[str, str]) -> str:
    """Fill a template; capitalise it when it starts with a slot (lower-case templates are informal on purpose)."""
    text = " ".join(template.format(**filler).split())
    return text[0].upper() + text[1:] if template.startswith("{") else text


def expand() -> list[dict]:
    """One record per (family, filler): topic, family index, canonical question and all paraphrases."""
    records = []
    for index, (topic, question, paraphrases, slot, use) in enumerate(FAMILIES):
        assert topic in RELATED, topic
        if slot is None:
            fillers = [{}]
        else:
            table = SLOTS[slot]
            fillers = [table[key] for key in (use or tuple(table))]
        for filler in fillers:
            records.append(
                {
                    "topic": topic,
                    "family": index,
                    "sentence": _sentence(question, filler),
                    "paraphrases": [_sentence(t, filler) for t in paraphrases],
                }
            )
    texts = [r["sentence"] for r in records] + [p for r in records for p in r["paraphrases"]]
    duplicates = sorted({t for t in texts if texts.count(t) > 1})
    assert not duplicates, f"texts must be unique across the dataset: {duplicates}"
    return records


def assign_splits(records: list[dict], rng: random.Random) -> dict[int, str]:
    """Family -> split. Per topic: validation and test take (small) families until they hold their share of
    the topic's rows, at least one family each; train gets the rest."""
    sizes: dict[int, int] = {}
    topics: dict[str, list[int]] = {}
    for r in records:
        sizes[r["family"]] = sizes.get(r["family"], 0) + 1
        if r["family"] not in topics.setdefault(r["topic"], []):
            topics[r["topic"]].append(r["family"])
    split_of: dict[int, str] = {}
    for topic in sorted(topics):
        families = sorted(topics[topic])
        rng.shuffle(families)
        total = sum(sizes[f] for f in families)
        for split in ("validation", "test"):
            need, filled = SPLIT_SHARE[split] * total, 0
            for family in families:
                if family in split_of or filled >= need - 0.5:
                    continue
                if sizes[family] <= max(1, round(need - filled)) + 1:
                    split_of[family] = split
                    filled += sizes[family]
            if filled == 0:  # only big families left: take the smallest
                free = [f for f in families if f not in split_of]
                split_of[min(free, key=lambda f: sizes[f])] = split
        for family in families:
            split_of.setdefault(family, "train")
    return split_of


def build_rows(records: list[dict], rng: random.Random) -> list[dict]:
    """e-faq rows of one split; negatives come from the same split only."""
    rows = []
    for r in records:
        k = rng.randint(3, min(6, len(r["paraphrases"])))
        similar = rng.sample(r["paraphrases"], k)
        others = [o for o in records if o is not r]
        siblings = [o["sentence"] for o in others if o["family"] == r["family"]]
        same_topic = [o["sentence"] for o in others if o["topic"] == r["topic"] and o["family"] != r["family"]]
        related = [o["sentence"] for o in others if o["topic"] in RELATED[r["topic"]]]
        want = rng.randint(2, 4)
        almost = rng.sample(siblings, min(2, len(siblings)))
        for pool in (same_topic, related):
            free = [t for t in pool if t not in almost]
            almost += rng.sample(free, min(want - len(almost), len(free)))
        near = {r["topic"], *RELATED[r["topic"]]}
        far = [o["sentence"] for o in others if o["topic"] not in near]
        dissimilar = rng.sample(far, rng.randint(2, 4))
        assert 2 <= len(almost) <= 4 and 3 <= len(similar) <= 6, r["sentence"]
        rows.append(
            {"sentence": r["sentence"], "similar": similar, "almost_similar": almost, "dissimilar": dissimilar}
        )
    return rows


def main() -> None:
    rng = random.Random(SEED)
    records = expand()
    split_of = assign_splits(records, rng)
    OUT.mkdir(parents=True, exist_ok=True)
    seen: dict[str, str] = {}
    for split in SPLIT_SHARE:
        part = [r for r in records if split_of[r["family"]] == split]
        rows = build_rows(part, rng)
        for row in rows:
            for text in [row["sentence"], *row["similar"], *row["almost_similar"], *row["dissimilar"]]:
                assert seen.setdefault(text, split) == split, f"{text!r} is in {seen[text]} and {split}"
        path = OUT / f"{split}.jsonl"
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        families = len({r["family"] for r in part})
        print(f"{path.relative_to(OUT.parents[2])}: {len(rows)} rows from {families} FAQ families")


if __name__ == "__main__":
    main()
